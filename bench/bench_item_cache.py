"""Reading the data of one epoch, with and without `cache_items`, for both tasks' default loaders (`task_dls`), in one run.

For each task (PASCAL stand-in at 64 px, BIWI stand-in at 120x160) and each setting (with `cache_items`, the default, and
without it), builds the loaders `--runs` times (alternating the settings) and reads every training and validation
batch for three epochs, as training does, batch augmentation included; no model. Prints the median seconds of the first
epoch and of the later ones, and the ratio uncached / cached for the later ones.

Run: python bench/bench_item_cache.py [--runs 3]
"""
import argparse, os, statistics, time
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai_ch6.core import TASKS
from fastai_ch6.learners import task_dls, default_data

def loaders(task, cache):
    "The loaders `ch6` trains `task` with (`task_dls`); `cache=False` takes off what `cache_items` put on them."
    dls = task_dls(task, default_data(task))
    if not cache:
        for dl in dls.loaders[:2]:
            if vars(dl).pop('do_item', None) is None: raise SystemExit('task_dls no longer keeps its items: nothing to compare')
    return dls

def epoch_times(dls, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        for dl in (dls.train, dls.valid):
            for _ in dl: pass
        out.append(time.perf_counter() - t)
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--runs', type=int, default=3); a = ap.parse_args()
    torch.set_num_threads(2)
    with open('/proc/loadavg') as f: print('load average before:', f.read().split()[:3])
    for task in TASKS:
        res = {True: ([], []), False: ([], [])}
        for _ in range(a.runs):
            for cache in (True, False):
                e = epoch_times(loaders(task, cache))
                res[cache][0].append(e[0]); res[cache][1].extend(e[1:])
        med = {c: (statistics.median(f), statistics.median(l)) for c, (f, l) in res.items()}
        for c in (True, False):
            print(f"{task:10} cache={str(c):5} first epoch {med[c][0]:5.2f} s, later epochs {med[c][1]:5.2f} s (median of {len(res[c][1])})")
        print(f"{task:10} later epochs without / with the cache: x{med[False][1]/med[True][1]:.1f}")
    with open('/proc/loadavg') as f: print('load average after:', f.read().split()[:3])
