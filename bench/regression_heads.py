"""Head-centre error on held-out person 13, full BIWI stand-in: the heads the course compares, trained as `ch6 demo` trains it.

    FASTAI_CH6_DATA=synthetic python bench/regression_heads.py --seeds 42 1 2 --hows point small
    FASTAI_CH6_DATA=synthetic python bench/regression_heads.py --seeds 42 --hows pool grid32

- `point`: `train_task('regression')` with the course's learning rate, as `ch6 demo` runs it (without `--lr`, `ch6 train` asks `lr_find`), the default: `course_resnet` cut at its 1/8 grid (`point_learner`), fine-tuned 1 + 3 epochs;
- `small`: `train_task('regression', arch='small')`: `head_cnn` from scratch, 10 epochs;
- `pool`: the chapter's way, `vision_learner(dls, course_resnet, y_range=(-1, 1))`, the same data, loss, metrics and `fine_tune_from`;
- `grid32`: the whole body with a grid head on its last (1/32) grid: `ConvLayer` + 1x1 conv + `SpatialSoftArgmax` as `custom_head`.

The runs go seed by seed, each seed running every head in turn, so that a change in the machine's load hits them alike.
Each line gives the seconds of the whole call (`train_task` includes evaluation and export; the other two only `fine_tune_from`).
Threads are fixed (`--threads`, default 2) so that runs compare.

Measured on an idle 2-core CPU (the two commands above, one after the other):

| head | seeds | mean error, person 13 | seconds |
|---|---|---|---|
| point (default) | 42, 1, 2 | 3.60, 3.87, 4.12 px: median 3.87 | 145, 131, 131: median 131 |
| small (head_cnn) | 42, 1, 2 | 5.81, 4.91, 6.18 px: median 5.81 | 94, 95, 89: median 94 |
| pool (the chapter's head) | 42 | 82.52 px (always the average centre: 79) | 126 |
| grid32 | 42 | 12.15 px | 126 |

point / small time, in-run per seed: median 1.48.
"""
import argparse, os, statistics, tempfile, time, warnings
warnings.filterwarnings('ignore')
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import torch
from torch import nn
from fastai.vision.all import vision_learner, MSELossFlat, ConvLayer, set_seed
from fastai_ch6.speed import torch_threads
from fastai_ch6.learners import task_defaults, task_dls, default_data, frame_sizes, FINE_TUNE
from fastai_ch6.train import train_task, fine_tune_from
from fastai_ch6.models import course_resnet, SpatialSoftArgmax, grid_cut
from fastai_ch6.regression import center_error_metric, center_distances_px

def by_train_task(how, seed, threads, out):
    arch = 'course_resnet' if how == 'point' else 'small'
    s = train_task('regression', out=out, arch=arch, lr=task_defaults('regression', arch)['lr'], seed=seed, threads=threads, quiet=True)
    return s['center_error_px']

def by_vision_learner(how, seed, threads, out):
    dls = task_dls('regression', default_data('regression'), bs=FINE_TUNE['bs'], seed=seed)
    frame = tuple(frame_sizes(dls.valid_ds.items[:1])[0].int().tolist())
    set_seed(seed, reproducible=True)
    kw = dict(loss_func=MSELossFlat(), metrics=[center_error_metric(frame)])
    if how == 'pool': learn = vision_learner(dls, course_resnet, y_range=(-1, 1), **kw)
    else:
        head = nn.Sequential(ConvLayer(grid_cut(course_resnet, 32)[1], 64), nn.Conv2d(64, 1, 1), SpatialSoftArgmax())   # the last grid's channels
        learn = vision_learner(dls, course_resnet, custom_head=head, **kw)
    with torch_threads(threads), learn.no_bar(), learn.no_logging():
        fine_tune_from(learn, FINE_TUNE['epochs'], FINE_TUNE['lr'], FINE_TUNE['freeze_epochs'])
        return float(center_distances_px(*learn.get_preds()).mean())

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 1, 2])
    ap.add_argument('--hows', nargs='+', default=['point', 'small'], choices=['point', 'small', 'pool', 'grid32'])
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    print(f'cpus {os.cpu_count()}, threads {a.threads}, load average before {os.getloadavg()}', flush=True)
    res = {h: [] for h in a.hows}
    for seed in a.seeds:
        for how in a.hows:
            with tempfile.TemporaryDirectory() as d:
                t = time.perf_counter()
                err = (by_train_task if how in ('point', 'small') else by_vision_learner)(how, seed, a.threads, os.path.join(d, 'out'))
                dt = time.perf_counter() - t
            res[how].append((err, dt))
            print(f'seed {seed:3d}  {how:7s} {err:6.2f} px  {dt:6.1f} s', flush=True)
    print(f'load average after {os.getloadavg()}')
    print('\nmedians over seeds ' + ' '.join(map(str, a.seeds)))
    base = a.hows[-1]
    for how, r in res.items():
        ratio = statistics.median(dt/res[base][i][1] for i, (_, dt) in enumerate(r))
        print(f'  {how:7s} error {statistics.median(e for e, _ in r):6.2f} px  time {statistics.median(dt for _, dt in r):6.1f} s  '
              f'time / {base} (in-run, per seed) {ratio:.2f}')

if __name__ == '__main__': main()
