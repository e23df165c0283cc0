"""Can the course's body tell the chapter's pooling head *where*? The book's regression recipe on body variants (issue: the book's code as printed).

    FASTAI_CH6_DATA=synthetic python bench/position_body.py                    # all three bodies, seed 42
    FASTAI_CH6_DATA=synthetic python bench/position_body.py --bodies points --seeds 42 1 2
    FASTAI_CH6_DATA=synthetic python bench/position_body.py --bodies points --wide     (also: --copies 8, --ps 0, --epochs 8, --branch-with-head, --k 1)
    FASTAI_CH6_DATA=synthetic python bench/position_body.py --bodies oracle --copies 64 [--only-points]   (the head's ceiling)
    FASTAI_CH6_DATA=synthetic python bench/position_body.py --bodies shipped points --frames-per-person 650   (the book's step count)

Each body gets exactly the chapter's cell, on the full BIWI stand-in at 120x160 (`biwi_dls`, batches of 64, person 13 held out):
`vision_learner(dls, arch, y_range=(-1, 1))` then `learn.fine_tune(3, 1e-2)`. The bodies:

- `shipped`: `course_resnet` with the shipped weights, as `ch6 demo` and the lessons use it;
- `points`: the same weights, and beside the last two stages a *point branch* (`WithPoints`): from the body's 1/8 grid, a
  `ConvLayer`, a 1x1 convolution to 16 score maps and `SpatialSoftArgmax`, so 16 (x, y) positions; they are broadcast over
  the last grid as 32 more channels, so that fastai's `AdaptiveConcatPool2d` hands the head the positions themselves
  (the idea of the spatial soft-argmax "feature points" of Levine, Finn et al., JMLR 2016). The branch starts from random weights;
- `points-pretrained`: the `points` body after `--pre-epochs` one-cycle epochs on `--pre-images` pictures of the shapes
  corpus (`shapes_corpus`'s drawing, formula-made, disjoint from both stand-ins), whose target is the shapes' classes
  (`shared_cross_entropy`) plus, through the pooled head, the box of the largest shape and the box around all of them (MSE x 4);
- `oracle`, a diagnosis rather than a body: the point branch is `point_learner` itself, fine-tuned first on the same training
  frames (about 3 px on its own), so the pooling head is handed the answer; with `--only-points` it is handed nothing else.
  What the chapter's head makes of it is the best any body can hope for under the chapter's `fine_tune(3, 1e-2)`.

`--frames-per-person 650` trains on a stand-in of real BIWI's size (about 15,600 frames instead of 2,400), so that the
book's `fine_tune(3, 1e-2)` makes as many optimizer steps as it does in the book (about 940 instead of 144; DESIGN.md, 3).

Prints, per body and seed, the mean and 90th percentile of the centre error in pixels of the 640x480 frame and the seconds
of `fine_tune`; then medians. And the error of always guessing the training frames' average centre (79 px on the default stand-in). Threads: `--threads` (2).
Nothing here changes the package: the bodies are built in this script, to measure before choosing. The figures, and
what they say, are on the maintainers page ("The book's own code on the course's body").
"""
import argparse, os, statistics, time, warnings
warnings.filterwarnings('ignore')
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import numpy as np, torch, torch.nn.functional as F
from torch import nn
from PIL import Image, ImageDraw
from fastai.vision.all import ConvLayer, L, ResBlock, TensorImage, model_meta, params, set_seed, vision_learner
from fastai.vision.models.xresnet import XResNet
from fastai_ch6.speed import torch_threads
from fastai_ch6.models import CORPUS_STATS, SpatialSoftArgmax, course_resnet, point_head, point_learner
from fastai_ch6.corpus import corpus_dls, dead_leaves, draw_shape, shape_class, shared_cross_entropy, _outline, _turn
from fastai_ch6.regression import biwi_dls, center_distances_px
from fastai_ch6.learners import default_data
from fastai_ch6.sources import biwi_head_pose
from fastai_ch6.data import VALID_PERSON, biwi_frames, get_ctr

class WithPoints(nn.Module):
    "The body's last two stages, and beside them `k` soft-argmax positions read from the 1/8 grid they start from."
    def __init__(self, stage3, stage4, ni=64, k=16, c=64, wide=False, copies=1, only_points=False):
        super().__init__()
        self.stage3, self.stage4, self.copies, self.only_points = stage3, stage4, copies, only_points
        self.points = point_head(ni, k, c) if wide else nn.Sequential(ConvLayer(ni, c), nn.Conv2d(c, k, 1), SpatialSoftArgmax())
    def forward(self, x):
        f = self.stage4(self.stage3(x))
        p = self.points(x).repeat(1, self.copies).view(len(x), -1, 1, 1).expand(-1, -1, *f.shape[-2:]).to(f.dtype)
        return p.contiguous() if self.only_points else torch.cat([f, p], 1)

PRETRAINED = {}      # body name ('points-pretrained', 'oracle') -> its state dict, once made; `USE['pretrained_branch']` says which `points_resnet` loads
USE = dict(pretrained_branch=None, wide=False, copies=1, branch_with_head=False, k=16, only_points=False)

def points_resnet(pretrained=False, n_out=1000, k=None, **kwargs):
    "`course_resnet` (its shipped weights when `pretrained`) with a point branch beside stages 3 and 4."
    k, layers = k or USE['k'], list(course_resnet(pretrained=pretrained).children())
    m = nn.Sequential(*layers[:6], WithPoints(layers[6], layers[7], 64, k, wide=USE['wide'], copies=USE['copies'],
                                                   only_points=USE['only_points']), *layers[8:11],
                      nn.Linear(256*(not USE['only_points']) + 2*k*USE['copies'], n_out))
    if pretrained and USE['pretrained_branch']: nn.Sequential(*list(m.children())[:-4]).load_state_dict(PRETRAINED[USE['pretrained_branch']])
    return m

def _split(m):
    "`course_resnet`'s three groups; with `USE['branch_with_head']` the point branch trains with the head (frozen epoch included)."
    if not USE['branch_with_head']: return L(m[0][:3], m[0][3:], m[1:]).map(params)
    branch = set(map(id, params(m[0][6].points)))
    return L([p for p in params(m[0][:3])], [p for p in params(m[0][3:]) if id(p) not in branch], params(m[0][6].points) + params(m[1:]))
model_meta[points_resnet] = dict(cut=-4, split=_split, stats=CORPUS_STATS)

def shapes_with_boxes(n_images, n_classes=128, size=64, max_objects=3, sides=(14, 44), seed=0):
    "`shapes_corpus`'s pictures, with targets: multi-hot classes, the largest shape's box and the box around all, in [-1, 1]."
    rng, classes, S = np.random.default_rng([seed, 13]), [shape_class(seed, i) for i in range(n_classes)], 2*size
    x, y = np.empty((n_images, size, size, 3), np.uint8), np.zeros((n_images, n_classes + 8), np.float32)
    for p in range(n_images):
        im = Image.new('RGB', (S, S)); draw = ImageDraw.Draw(im); dead_leaves(draw, S, rng); boxes = []
        for c in rng.choice(n_classes, int(rng.integers(1, max_objects + 1)), replace=False):
            side = rng.uniform(*sides)*2; cx, cy = rng.uniform(side*0.3, S - side*0.3, 2)
            replay = np.random.default_rng(); replay.bit_generator.state = rng.bit_generator.state
            draw_shape(draw, classes[c], cx, cy, side, rng)
            mirror, tilt = (-1 if replay.random() < 0.5 else 1), _turn(replay.normal(0, 0.15))   # draw_shape's own draws
            pts = np.concatenate([((_outline(k, w, h) @ (np.eye(2) if k == 'ellipse' else _turn(a)).T + [px, py])*[mirror, 1]) @ tilt.T*side + [cx, cy]
                                  for k, px, py, w, h, a, _ in classes[c]]).clip(0, S)
            y[p, c] = 1; boxes.append(np.r_[pts.min(0), pts.max(0)]/S*2 - 1)
        b = np.stack(boxes); largest = b[((b[:, 2] - b[:, 0])*(b[:, 3] - b[:, 1])).argmax()]
        y[p, n_classes:] = np.r_[largest, b[:, :2].min(0), b[:, 2:].max(0)]
        x[p] = np.asarray(im.resize((size, size), Image.BILINEAR))
    return TensorImage(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()), torch.from_numpy(y)

def classes_and_boxes(n_classes, lam=4.):
    def loss(out, targ):
        out, targ = out.float().as_subclass(torch.Tensor), targ.float().as_subclass(torch.Tensor)
        return shared_cross_entropy(out[:, :n_classes], targ[:, :n_classes]) + lam*F.mse_loss(out[:, n_classes:], targ[:, n_classes:])
    return loss

def pretrain_points(n_images, epochs, lr=1e-2, bs=128, n_classes=128):
    x, y = shapes_with_boxes(n_images, n_classes)
    set_seed(0)
    learn = vision_learner(corpus_dls(x, y, bs, 0.1, 0), points_resnet, normalize=False, n_out=n_classes + 8,
                           loss_func=classes_and_boxes(n_classes))
    learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    preds, targs = learn.get_preds()
    box_err = float((preds[:, n_classes:] - targs[:, n_classes:]).abs().mean())
    PRETRAINED['points-pretrained'] = {k: v.detach().clone() for k, v in learn.model[0].state_dict().items()}
    return box_err

def oracle_branch(seed, frames_per_person=100):
    "A diagnosis, not a body: `point_learner` fine-tuned on the training frames (as `ch6 demo` does), its body and `point_head` made the point branch."
    dls = biwi_dls(biwi_data(frames_per_person), bs=32, seed=seed)
    set_seed(seed, reproducible=True)
    learn = point_learner(dls)
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(3, 1e-2)
    err = float(center_distances_px(*learn.get_preds()).mean())
    USE.update(wide=True, k=1, pretrained_branch=None)
    sd = dict(nn.Sequential(*list(points_resnet(pretrained=True).children())[:-4]).state_dict())      # stages 3-4: shipped
    sd.update(learn.model[0].state_dict()); sd.update({f'6.points.{k}': v for k, v in learn.model[1].state_dict().items()})
    PRETRAINED['oracle'] = sd; USE['pretrained_branch'] = 'oracle'
    return err

def biwi_data(frames_per_person):
    return default_data('regression') if frames_per_person == 100 else biwi_head_pose('synthetic', frames_per_person=frames_per_person)

def guess_px(frames_per_person):
    "Mean error, on person 13, of always guessing the training frames' average centre."
    files = biwi_frames(biwi_data(frames_per_person))
    train, valid = [np.stack([get_ctr(f).numpy() for f in files if (f.parent.name == VALID_PERSON) == v]) for v in (False, True)]
    return float(np.linalg.norm(valid - train.mean(0), axis=1).mean())

def book_cell(arch, seed, epochs=3, ps=None, frames_per_person=100):
    "The chapter's regression cell, with `arch` for `resnet18`; returns the centre errors of person 13 and the seconds."
    dls = biwi_dls(biwi_data(frames_per_person), seed=seed)
    set_seed(seed, reproducible=True)
    learn = vision_learner(dls, arch, y_range=(-1, 1), **({} if ps is None else dict(ps=ps)))
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(epochs, 1e-2)
    return center_distances_px(*learn.get_preds()), time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--bodies', nargs='+', default=['shipped', 'points', 'points-pretrained'], choices=['shipped', 'points', 'points-pretrained', 'oracle'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[42])
    ap.add_argument('--pre-images', type=int, default=8000); ap.add_argument('--pre-epochs', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--k', type=int, default=16, help='positions the point branch gives')
    ap.add_argument('--branch-with-head', action='store_true', help="the point branch in the head's parameter group: trained in the frozen epoch, at the head's rate")
    ap.add_argument('--copies', type=int, default=1, help='each position broadcast as this many channels, so that the head\'s dropout rarely drops them all')
    ap.add_argument('--ps', type=float, default=None, help="the head's dropout (`vision_learner(ps=)`; not the chapter's cell: a diagnosis)")
    ap.add_argument('--only-points', action='store_true', help="the body hands the head its positions alone, none of its 256 channels (a diagnosis)")
    ap.add_argument('--wide', action='store_true', help="the point branch looks wider before it scores: `point_head` (two dilated layers more)")
    ap.add_argument('--frames-per-person', type=int, default=100, help="the BIWI stand-in's size (the default stand-in: 100; real BIWI: about 650)")
    ap.add_argument('--epochs', type=int, default=3, help="fine_tune's unfrozen epochs (the chapter's: 3); more only to see where a body is headed")
    a = ap.parse_args()
    branch, dropout = 'point_head' if a.wide else 'ConvLayer + 1x1', "fastai's" if a.ps is None else a.ps
    print(f'{a.frames_per_person} frames per person, fine_tune({a.epochs}, 1e-2), point branch {branch} (oracle: point_head, 1 position), copies {a.copies}, head dropout {dropout}, branch with the head {a.branch_with_head}, {a.k} positions, only points {a.only_points}; cpus {os.cpu_count()}, threads {a.threads}, load average before {os.getloadavg()}', flush=True)
    res = {b: [] for b in a.bodies}
    USE['wide'], USE['copies'], USE['branch_with_head'], USE['k'], USE['only_points'] = a.wide, a.copies, a.branch_with_head, a.k, a.only_points
    with torch_threads(a.threads):
        for body in a.bodies:
            USE['pretrained_branch'], USE['wide'], USE['k'] = None, a.wide, a.k
            if body == 'points-pretrained' and body not in PRETRAINED:
                t = time.perf_counter(); err = pretrain_points(a.pre_images, a.pre_epochs)
                print(f'point branch pretrained: {a.pre_images} shapes pictures, {a.pre_epochs} epochs, {time.perf_counter()-t:.0f} s '
                      f'with drawing; validation box error {err:.3f} (units of half the picture)', flush=True)
            USE['pretrained_branch'] = body if body in PRETRAINED else None
            for seed in a.seeds:
                if body == 'oracle':
                    err = oracle_branch(seed, a.frames_per_person)
                    print(f'oracle branch: point_learner fine-tuned on the training frames, seed {seed}: {err:.2f} px on its own', flush=True)
                d, dt = book_cell(course_resnet if body == 'shipped' else points_resnet, seed, a.epochs, a.ps, a.frames_per_person)
                res[body].append((float(d.mean()), float(d.quantile(.9)), dt))
                print(f'{body:18s} seed {seed:3d}: mean {d.mean():6.2f} px, 90th percentile {d.quantile(.9):6.2f} px, fine_tune {dt:5.0f} s', flush=True)
    print(f'load average after {os.getloadavg()}\nalways the average centre: {guess_px(a.frames_per_person):.1f} px\nmedians over seeds {a.seeds}:')
    for body, r in res.items():
        print(f'  {body:18s} mean {statistics.median(m for m, _, _ in r):6.2f} px, 90th percentile {statistics.median(p for _, p, _ in r):6.2f} px, '
              f'fine_tune {statistics.median(t for _, _, t in r):5.0f} s')

if __name__ == '__main__': main()
