"""Quality within a time budget: the course's default path (small_cnn, cached 64 px, 10 epochs from scratch).

Prints the macro mAP on the validation set, accuracy and F1, and the wall-clock time of training.
`--rrc` adds the book's RandomResizedCrop(min_scale=0.35) (on the batch, at 64 px) to the same run, to show what
cropping does to multi-label data. Run: python bench/quality.py [--epochs 10] [--rrc]
"""
import argparse, os, time
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import Learner, Flip, RandomResizedCropGPU, set_seed
from fastai_ch6.datablock import pascal_dls
from fastai_ch6.losses import BinaryCrossEntropy
from fastai_ch6.models import small_cnn
from fastai_ch6.metrics import multilabel_metrics, mean_average_precision, accuracy_multi, f1_multi

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--epochs', type=int, default=10); ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--rrc', action='store_true'); ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--seed', type=int, default=42)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()}, load average before {os.getloadavg()}", flush=True)
    bt = [RandomResizedCropGPU(64, min_scale=0.35), Flip()] if a.rrc else None
    dls = pascal_dls(batch_tfms=bt)
    set_seed(a.seed, reproducible=True)
    learn = Learner(dls, small_cnn(), loss_func=BinaryCrossEntropy(), metrics=multilabel_metrics())
    t = time.perf_counter()
    with learn.no_bar(): learn.fit_one_cycle(a.epochs, a.lr)
    fit_s = time.perf_counter() - t
    with learn.no_bar(): preds, targs = learn.get_preds()
    print(f"\n{'RandomResizedCrop(min_scale=0.35) + flip' if a.rrc else 'flip only'}, {a.epochs} epochs, {len(dls.train_ds)} training images: "
          f"fit {fit_s:.0f} s ({fit_s/a.epochs:.1f} s/epoch incl. validation), "
          f"mAP {mean_average_precision(preds, targs):.3f}, accuracy@0.5 {accuracy_multi(preds, targs, sigmoid=False):.3f}, F1@0.5 {f1_multi(preds, targs, sigmoid=False):.3f}")
    print(f"load average after {os.getloadavg()}")
