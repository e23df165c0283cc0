"""Threshold sweep: the chapter's list comprehension over accuracy_multi against sweep_thresholds.

5,000 x 20 predictions, 1,000 thresholds (evenly spaced, then random); medians of `--runs` runs after a warm-up.
Run: python bench/sweep.py [--runs 7] [--threads 1]
"""
import argparse, os, statistics, time
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai.metrics import accuracy_multi
from fastai_ch6.thresholds import sweep_thresholds

def med_time(f, runs):
    f(); ts = []
    for _ in range(runs): t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=7); ap.add_argument('--threads', type=int, default=None)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()}, load average {os.getloadavg()}")
    g = torch.Generator().manual_seed(0)
    p, t = torch.rand(5000, 20, generator=g), (torch.rand(5000, 20, generator=g) < .08).float()
    for name, ths in (('evenly spaced', torch.linspace(0, 1, 1000)), ('random', torch.rand(1000, generator=g))):
        ref = torch.stack([accuracy_multi(p, t, thresh=i, sigmoid=False) for i in ths])
        assert (sweep_thresholds(p, t, ths) - ref).abs().max() < 1e-6
        tl = med_time(lambda: [accuracy_multi(p, t, thresh=i, sigmoid=False) for i in ths], a.runs)
        ts = med_time(lambda: sweep_thresholds(p, t, ths), a.runs)
        print(f"{name:14s} thresholds: list comprehension {tl*1000:7.1f} ms, sweep_thresholds {ts*1000:6.2f} ms, ratio {tl/ts:5.0f}x")
