"""Training speed per epoch: the course's fast pipeline against the book's, same model, same data, one run.

The book's pipeline reads the full-size JPEGs and applies RandomResizedCrop(128, min_scale=0.35) to each item;
the fast one reads copies resized once to 64 px (cached) and flips whole batches. Both train the same model
(small_cnn by default, `--arch resnet18` for the book's family) with the same loss and optimiser.
Measured: training images per second over `--batches` batches after `--warmup` batches, alternating the
pipelines `--runs` times; medians and the ratio are printed. Run: python bench/speed.py [--arch small_cnn|resnet18]
"""
import argparse, os, statistics, time
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import Learner, Callback, CancelFitException, resnet18, create_vision_model, set_seed
from fastai_ch6.datablock import pascal_dls
from fastai_ch6.losses import BinaryCrossEntropy
from fastai_ch6.models import small_cnn

class _Timer(Callback):
    "Time `n` training batches after `warm` warm-up batches, then stop."
    def __init__(self, warm, n): self.warm, self.n, self.dt = warm, n, None
    def before_fit(self): self.i = 0
    def after_batch(self):
        if not self.training: return
        self.i += 1
        if self.i == self.warm: self.t0 = time.perf_counter()
        if self.i == self.warm + self.n: self.dt = time.perf_counter() - self.t0; raise CancelFitException()

def model_for(arch):
    return small_cnn() if arch == 'small_cnn' else create_vision_model(resnet18, 20, pretrained=False)

def img_per_s(dls, arch, warm, n):
    set_seed(0)
    learn = Learner(dls, model_for(arch), loss_func=BinaryCrossEntropy())
    t = _Timer(warm, n)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=t)
    return n*dls.train.bs/t.dt

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--arch', default='small_cnn', choices=['small_cnn', 'resnet18'])
    ap.add_argument('--runs', type=int, default=3); ap.add_argument('--batches', type=int, default=12); ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=None, help='torch threads (default: torch chooses)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()}, load average before {os.getloadavg()}", flush=True)
    pipes = {'book (full JPEG, RandomResizedCrop(128), num_workers=0)': lambda: pascal_dls(fast=False, size=128, num_workers=0),
             f'book (full JPEG, RandomResizedCrop(128), num_workers={os.cpu_count()})': lambda: pascal_dls(fast=False, size=128, num_workers=os.cpu_count()),
             'fast (cached 64px, batch flip)': lambda: pascal_dls(fast=True, size=64)}
    dls = {k: f() for k,f in pipes.items()}
    n_train = len(next(iter(dls.values())).train_ds)
    res = {k: [] for k in pipes}
    for r in range(a.runs):
        for k,d in dls.items():
            res[k].append(img_per_s(d, a.arch, a.warmup, a.batches))
            print(f"run {r}: {k}: {res[k][-1]:.0f} img/s", flush=True)
    med = {k: statistics.median(v) for k,v in res.items()}
    print(f"\nmodel {a.arch}, {n_train} training images per epoch, medians of {a.runs} runs of {a.batches} batches of 64")
    for k,v in med.items(): print(f"  {k:58s} {v:7.1f} img/s  {n_train/v:7.1f} s/epoch (training part)")
    book = max(v for k,v in med.items() if k.startswith('book'))
    print(f"  speed-up of the fast pipeline over the book's best: {med['fast (cached 64px, batch flip)']/book:.1f}x")
    print(f"load average after {os.getloadavg()}")
