"""Head-centre error on held-out person 13 after the course's default training, from scratch, and how long it took.

    FASTAI_CH6_DATA=synthetic python bench/regression_quality.py            # default path
    FASTAI_CH6_DATA=synthetic python bench/regression_quality.py --per-person 25 --size 96 128 --epochs 6   # the notebook's test run
"""
import argparse, os, time, warnings
warnings.filterwarnings('ignore')
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import torch
from fastai.vision.all import *
from fastai_ch6.sources import biwi_head_pose
from fastai_ch6.data import get_ctr
from fastai_ch6.regression import biwi_dls, center_error_px, center_error_pct, center_distances_px
from fastai_ch6.models import head_cnn

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--lr', type=float, default=1e-2)
    ap.add_argument('--size', type=int, nargs=2, default=(120, 160))
    ap.add_argument('--per-person', type=int, default=None)
    ap.add_argument('--seed', type=int, default=42)
    a = ap.parse_args()
    path = biwi_head_pose()
    print(f'torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}, load average before {os.getloadavg()}')
    dls = biwi_dls(path, size=tuple(a.size), per_person=a.per_person, seed=a.seed)
    set_seed(a.seed)
    learn = Learner(dls, head_cnn(), metrics=[center_error_px, center_error_pct(90)])
    t = time.perf_counter()
    with learn.no_bar(): learn.fit_one_cycle(a.epochs, a.lr)
    fit_s = time.perf_counter() - t
    preds, targs = learn.get_preds()
    err = center_distances_px(preds, targs)
    train_ctr = torch.stack([get_ctr(f) for f in dls.train_ds.items]).mean(0)
    chance = (torch.stack([get_ctr(f) for f in dls.valid_ds.items]) - train_ctr).norm(dim=1).mean()
    print(f'load average after {os.getloadavg()}')
    print(f'{len(dls.train_ds)} training frames at {a.size[0]}x{a.size[1]}, {a.epochs} epochs: fit {fit_s:.0f} s ({fit_s/a.epochs:.1f} s/epoch)')
    print(f'person 13 ({len(err)} frames): mean {err.mean():.1f} px, 90th percentile {err.quantile(.9):.1f} px '
          f'(always guessing the mean centre: {chance:.1f} px)')

if __name__ == '__main__': main()
