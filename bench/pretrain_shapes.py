"""Pretrain `course_resnet` on a corpus of random compound shapes (an experiment; see the RESULTS below).

Each of `n_classes` classes is a random "shape program": 2 to 5 parts (ellipse, box, triangle or bar), each with its
own place, size, angle and colour inside a unit square, drawn from `np.random.default_rng([seed, 11, i])`. A picture is
a dead-leaves background (a flat colour under a few faint boxes, discs and lines) with 1 to `max_objects` objects of
distinct classes, each drawn at a random place and size, maybe mirrored, tilted a little, its colours jittered. The
target is multi-hot (which classes are in the picture), the loss `BCEWithLogitsLossFlat`.

Disjointness: the parts are drawn here with `PIL.ImageDraw` polygons from random programs; nothing is imported from
`fastai_ch6.standins` or `fastai_ch6.data`, and no glyph, drawing function or picture of either stand-in is used.

Run: python bench/pretrain_shapes.py --dest /tmp/shapes [--init DEFAULT] [--loss softce] [--n-classes 128] [--epochs 6]
then: python bench/bench_transfer.py --seeds 0 1 --hows fine-tuned frozen --weights /tmp/shapes/course_resnet.pth

The corpus and `--loss softce` were first written here; they now live in the package as `shapes_corpus` and
`shared_cross_entropy` (lesson 08), which this script imports, and `pretrain_course_resnet` runs them as its second
stage. This script stays as the record of how the recipe was chosen (the figures below come from its first version,
which drew the same pictures except for a different resampling call when shrinking them).

RESULTS (2026-11-29, 2 idle cores; 16,000 pictures, 128 classes, 2.0 objects per picture, 9 s to draw, ~45 s an epoch).
bench_transfer.py with its defaults (500 training pictures, 1000 validation, 64 px, 8 epochs), macro mAP:
  body                                            stage-2 valid mAP   fine-tuned (seeds 0, 1)   frozen (seeds 0, 1)
  shipped fractal body (no shapes stage)                  -           0.605 (seed 0)            -
  --loss bce, random init, 6 epochs                     0.048          loss stayed at the label prior: nothing learnt
  --loss softce, random init, 4 epochs                  0.264          0.857  0.855              0.863  0.870
  --loss softce, --init DEFAULT (after fractals), 4 ep  0.367          0.889  0.887              0.901  0.898
  from scratch, same architecture (seed 0)                -           0.577
BCE over 128 rare classes gives each picture a weak signal and the net settles on the class frequencies; the softmax
cross-entropy against the shared-out target (Mahajan et al. 2018) learns at once. Starting from the fractal body adds
about 0.03. The package's default then uses 6 epochs (stage-2 valid mAP 0.575); its figures are in lesson 08.
"""
import argparse, os, sys, time
import warnings; warnings.filterwarnings('ignore')
import torch
from PIL import Image
from fastai.vision.all import vision_learner, BCEWithLogitsLossFlat, accuracy_multi, set_seed
from fastai_ch6.models import course_resnet
from fastai_ch6.pretrain import _save
from fastai_ch6.corpus import shapes_corpus, shared_cross_entropy, corpus_dls
from fastai_ch6.metrics import mean_average_precision

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dest', default='/tmp/shapes'); ap.add_argument('--n-classes', type=int, default=128)
    ap.add_argument('--n-images', type=int, default=16000); ap.add_argument('--max-objects', type=int, default=3)
    ap.add_argument('--sides', type=float, nargs=2, default=[14, 44])
    ap.add_argument('--epochs', type=int, default=6); ap.add_argument('--lr', type=float, default=1e-2)
    ap.add_argument('--bs', type=int, default=128); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--init', default=None); ap.add_argument('--loss', default='bce', choices=['bce', 'softce'])
    ap.add_argument('--preview', default=None, help='save a PNG grid of 16 pictures here and stop after generating')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    x, y = shapes_corpus(a.n_classes, a.n_images if not a.preview else 16, 64, a.max_objects, tuple(a.sides), a.seed)
    t_gen = time.perf_counter() - t0
    print(f"corpus {tuple(x.shape)}, {float(y.sum(1).mean()):.2f} objects/picture, generated in {t_gen:.1f} s; "
          f"stats {[round(v, 3) for v in (x.float()/255).mean((0, 2, 3)).tolist()]}", flush=True)
    if a.preview:
        g = x[:16].permute(0, 2, 3, 1).numpy().reshape(4, 4, 64, 64, 3).transpose(0, 2, 1, 3, 4).reshape(256, 256, 3)
        Image.fromarray(g).resize((512, 512), Image.NEAREST).save(a.preview); sys.exit()
    set_seed(a.seed)
    learn = vision_learner(corpus_dls(x, y, a.bs, 0.1, a.seed), course_resnet, pretrained=a.init is not None,
                           weights=a.init, normalize=False, n_out=a.n_classes, loss_func=shared_cross_entropy if a.loss == 'softce' else BCEWithLogitsLossFlat(), metrics=accuracy_multi)
    learn.unfreeze()
    t0 = time.perf_counter()
    learn.fit_one_cycle(a.epochs, a.lr)
    with learn.no_bar(): p, t = learn.get_preds()
    vmap = round(float(mean_average_precision(p, t)), 4)
    t_train = time.perf_counter() - t0
    print(f"valid mAP {vmap:.4f}, train {t_train:.0f} s", flush=True)
    os.makedirs(a.dest, exist_ok=True)
    _save(learn.model[0], a.dest, dict(corpus=dict(kind='shapes', n_classes=a.n_classes, n_images=a.n_images,
        max_objects=a.max_objects, sides=a.sides, seed=a.seed), epochs=a.epochs, loss=a.loss, lr=a.lr, bs=a.bs, valid_map=vmap,
        generate_seconds=round(t_gen, 1), init=a.init, train_seconds=round(t_train, 1), threads=torch.get_num_threads(),
        command=' '.join(sys.argv)))
    print(f"saved {a.dest}/course_resnet.pth", flush=True)
