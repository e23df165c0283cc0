"""Seconds per epoch of BIWI head-centre training: the chapter's settings against the course's fast path.

Same data, same model, same run: every repeat times one epoch of each configuration in turn, so that the
load of the machine (which varies) hits all of them alike; the figures are medians over the repeats, and
the speed-up is the median of the in-run ratios.

    FASTAI_CH6_DATA=synthetic python bench/regression_speed.py --runs 3 --per-person 10
"""
import argparse, os, statistics, time, warnings
warnings.filterwarnings('ignore')
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import torch
from fastai.vision.all import *
from fastai_ch6.sources import biwi_head_pose
from fastai_ch6.regression import biwi_dls
from fastai_ch6.models import head_cnn

CONFIGS = {
    # name: (DataLoaders kwargs, model)
    'book: resnet18, full decode, aug_transforms(size=(240,320))': (dict(size=(240, 320), draft=False), 'resnet18'),
    'fast: resnet18, draft decode 120x160, aug_transforms':        (dict(size=(120, 160)), 'resnet18'),
    'fast: head_cnn, draft decode 120x160, aug_transforms (default)': (dict(size=(120, 160)), 'head_cnn'),
}

def epoch_seconds(path, dls_kw, model, per_person, bs):
    dls = biwi_dls(path, per_person=per_person, bs=bs, **dls_kw)
    if model == 'resnet18': learn = vision_learner(dls, resnet18, y_range=(-1, 1), pretrained=False)
    else: learn = Learner(dls, head_cnn())
    with learn.no_bar(), learn.no_logging():
        t = time.perf_counter(); learn.fit(1, 1e-3); dt = time.perf_counter() - t
    return dt, len(dls.train_ds) + len(dls.valid_ds)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--per-person', type=int, default=10, help='frames per person in the timed epochs')
    ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--full-epoch', type=int, default=2400, help='frames in the epoch the seconds are scaled to')
    a = ap.parse_args()
    path = biwi_head_pose()
    print(f'torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}, load average before {os.getloadavg()}')
    per_img = {k: [] for k in CONFIGS}
    for r in range(a.runs):
        for name, (kw, model) in CONFIGS.items():
            dt, n = epoch_seconds(path, kw, model, a.per_person, a.bs)
            per_img[name].append(dt/n)
            print(f'run {r}: {name}: {dt:.1f} s for {n} frames ({n/dt:.1f} frames/s)', flush=True)
    book = list(CONFIGS)[0]
    print(f'\nload average after {os.getloadavg()}')
    print(f'median over {a.runs} runs, seconds per epoch of {a.full_epoch} frames (train + valid):')
    for name in CONFIGS:
        ratios = [b/x for b, x in zip(per_img[book], per_img[name])]
        print(f'  {statistics.median(per_img[name])*a.full_epoch:8.1f} s   {statistics.median(ratios):5.1f}x faster than the book'
              f' (in-run ratios {", ".join(f"{x:.1f}" for x in ratios)})   {name}')

if __name__ == '__main__': main()
