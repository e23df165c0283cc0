"""Transfer learning offline: the course's pretrained body (`course_resnet`) fine-tuned vs the same architecture from scratch.

On a small PASCAL stand-in (by default 500 training pictures and 1000 validation pictures, seeded samples of the
training and validation rows of train.csv, 64 px; `--n-items N` instead takes N rows of either kind, about half and
half, as the first benches did), for each seed: `vision_learner(dls, course_resnet)` + `fine_tune(epochs-1)` (one frozen epoch, then
`epochs-1` unfrozen: `epochs` in all), against `vision_learner(dls, course_resnet, pretrained=False)` +
`fit_one_cycle(epochs)`; and, to see what the pretrained features alone are worth, the pretrained body kept frozen
with only the head trained (`fit_one_cycle(epochs)`); and `scratch-norm`, the from-scratch run with the fine-tuned run's
`Normalize` (the body's stats) added to its pipeline: fastai's `vision_learner` adds `Normalize` only when
`pretrained=True`, so plain `scratch` trains on unnormalised pictures. All see the same data, epochs and batches per epoch.
Reports the macro mAP (`mean_average_precision`) on the validation rows for each run, the medians, the difference
fine-tuned minus from scratch, and the median seconds per epoch of each. The learning rates default to each method's
better of 4e-3 and 1e-2 in a two-seed probe (fine-tuning: 1e-2, from scratch: 4e-3, frozen: 1e-2; scratch-norm uses
the from-scratch rate).

Run: python bench/bench_transfer.py [--train-items 500] [--valid-items 1000] [--epochs 8] [--freeze-epochs 1]
                                   [--seeds 0 1 2] [--hows fine-tuned scratch scratch-norm frozen] [--threads 2] [--weights FILE]
On a busy machine pass --threads 1: two threads beside other programs are several times slower (bench_threads.py).

Measured (2-core machine, load 3 to 12 from other jobs, --threads 1, 8 epochs; seeds 0 1 and 2 3 4 in two runs of
`--hows fine-tuned scratch scratch-norm`): mAP by seed 0..4
  fine-tuned    0.907 0.897 0.905 0.912 0.904   median 0.905
  scratch       0.543 0.519 0.570 0.557 0.556   median 0.556
  scratch-norm  0.898 0.894 0.885 0.896 0.892   median 0.894
fine-tuned minus scratch +0.335 to +0.378 (median +0.355); minus scratch-norm +0.003 to +0.020 (median +0.012):
the gap to fastai's unnormalised from-scratch baseline is almost all `Normalize`.
"""
import argparse, os, statistics, time
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import vision_learner, set_seed, Normalize
import pandas as pd
from fastai_ch6.sources import pascal_2007
from fastai_ch6.data import read_labels_csv, VOC_CLASSES
from fastai_ch6.datablock import pascal_dls, pascal_dblock
from fastai_ch6.losses import BinaryCrossEntropy
from fastai_ch6.metrics import mean_average_precision
from fastai_ch6.models import course_resnet, CORPUS_STATS

def make_dls(a):
    "Fresh `DataLoaders` (vision_learner adds Normalize to them): `--n-items` mixed rows, else `--train-items` + `--valid-items`."
    if a.n_items: return pascal_dls(source='synthetic', n_items=a.n_items, size=64, bs=a.bs)
    path = pascal_2007('synthetic')
    df = read_labels_csv(path/'train.csv', vocab=VOC_CLASSES)
    df = pd.concat([df[~df.is_valid].sample(a.train_items, random_state=42), df[df.is_valid].sample(a.valid_items, random_state=42)])
    return pascal_dblock(path, 64).dataloaders(df.reset_index(drop=True), bs=a.bs, num_workers=0, path=path)

def run(a, seed, how):
    dls = make_dls(a)
    if how == 'scratch-norm': dls.add_tfms([Normalize.from_stats(*CORPUS_STATS)], 'after_batch')   # what pretrained=True adds
    set_seed(seed, reproducible=True)
    pretrained = how != 'scratch'
    learn = vision_learner(dls, course_resnet, pretrained=pretrained, weights=a.weights if pretrained else None,
                           loss_func=BinaryCrossEntropy())
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if how == 'fine-tuned': learn.fine_tune(a.epochs - a.freeze_epochs, base_lr=a.lr_ft, freeze_epochs=a.freeze_epochs)
        elif how == 'frozen': learn.fit_one_cycle(a.epochs, a.lr_ft)          # vision_learner froze the body
        else: learn.fit_one_cycle(a.epochs, a.lr_scratch)
    s_epoch = (time.perf_counter() - t)/a.epochs
    with learn.no_bar(): preds, targs = learn.get_preds()
    return float(mean_average_precision(preds, targs)), s_epoch

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n-items', type=int, default=None, help='a mixed sample of this many rows instead (the first benches: 500)')
    ap.add_argument('--train-items', type=int, default=500); ap.add_argument('--valid-items', type=int, default=1000)
    ap.add_argument('--epochs', type=int, default=8); ap.add_argument('--freeze-epochs', type=int, default=1)
    ap.add_argument('--hows', nargs='+', default=['fine-tuned', 'scratch', 'scratch-norm', 'frozen'],
                    choices=['fine-tuned', 'scratch', 'scratch-norm', 'frozen'])
    ap.add_argument('--bs', type=int, default=32); ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--lr-ft', type=float, default=1e-2); ap.add_argument('--lr-scratch', type=float, default=4e-3)
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--weights', default=None, help='weights file (default: shipped)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()}, load average before {os.getloadavg()}", flush=True)
    hows = a.hows
    res = {h: [] for h in hows}
    for seed in a.seeds:
        for how in hows:
            m, s = run(a, seed, how); res[how].append((m, s))
            print(f"seed {seed} {how:10}: mAP {m:.3f}, {s:.2f} s/epoch", flush=True)
    med = {k: (statistics.median(m for m, _ in v), statistics.median(s for _, s in v)) for k, v in res.items()}
    print(f"median mAP ({a.epochs} epochs, {len(a.seeds)} seeds): " + ', '.join(f"{h} {med[h][0]:.3f}" for h in hows))
    for base in ('scratch', 'scratch-norm'):
        if {'fine-tuned', base} <= set(hows):
            d = [f[0] - s[0] for f, s in zip(res['fine-tuned'], res[base])]
            print(f"fine-tuned minus {base}: medians {med['fine-tuned'][0] - med[base][0]:+.3f}; paired by seed "
                  f"{' '.join(f'{v:+.3f}' for v in d)} (median {statistics.median(d):+.3f}, smallest {min(d):+.3f})")
    print("median s/epoch: " + ', '.join(f"{h} {med[h][1]:.2f}" for h in hows) + f"; load average after {os.getloadavg()}")
