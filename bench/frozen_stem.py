"""Fine-tuning the course body with the stem kept frozen (`keep_frozen=1`, the default) against fastai's `fine_tune` (every layer, `keep_frozen=0`).

    FASTAI_CH6_DATA=synthetic python bench/frozen_stem.py --seeds 42 1 2

Both tasks on the full stand-ins, each run `train_task` as `ch6 demo` runs it (the course's learning rate, `FINE_TUNE`'s
1 + 3 epochs in batches of 32, `cpu_speedups`), with only `keep_frozen` changed. The runs go seed by seed and task by task,
the two settings back to back, so that a change in the machine's load hits both alike. Each line gives the seconds of the
whole `train_task` call (data check, training, evaluation, plots and export). Threads are fixed (`--threads`, default 2).
The ratio is taken per pair of runs (same seed and task), then the median of the ratios.

Measured on an idle 2-core AMD EPYC with AVX512-BF16 (so `cpu_speedups` trains in bfloat16), the command above:

| task | keep_frozen=0 (every layer) | keep_frozen=1 (the stem frozen, the default) | time 1 / 0, per pair |
|---|---|---|---|
| multilabel, mAP | 0.9689, 0.9720, 0.9698 in 30.9, 30.8, 30.9 s | 0.9696, 0.9695, 0.9676 in 29.9, 29.3, 27.0 s | 0.95 |
| regression, mean error | 3.13, 3.34, 3.40 px in 42.4, 41.6, 41.2 s | 3.13, 3.36, 3.88 px in 30.6, 30.2, 30.9 s | 0.72 |
"""
import argparse, os, statistics, tempfile, time, warnings
warnings.filterwarnings('ignore')
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
from fastai_ch6.learners import task_defaults
from fastai_ch6.train import train_task

SCORE = dict(multilabel=('mAP', 'mAP'), regression=('center_error_px', 'px'))

def run(task, keep_frozen, seed, threads):
    "The score and seconds of one `train_task` call."
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        s = train_task(task, out=os.path.join(d, 'out'), lr=task_defaults(task)['lr'], seed=seed, threads=threads, keep_frozen=keep_frozen, quiet=True)
        return s[SCORE[task][0]], time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 1, 2])
    ap.add_argument('--tasks', nargs='+', default=['multilabel', 'regression'], choices=['multilabel', 'regression'])
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    print(f'cpus {os.cpu_count()}, threads {a.threads}, load average before {os.getloadavg()}', flush=True)
    res = {(t, k): [] for t in a.tasks for k in (0, 1)}
    for seed in a.seeds:
        for task in a.tasks:
            for k in ((0, 1) if seed % 2 else (1, 0)):          # alternate which setting goes first
                score, dt = run(task, k, seed, a.threads)
                res[task, k].append((seed, score, dt))
                print(f'seed {seed:3d}  {task:10s} keep_frozen={k}  {score:7.4f} {SCORE[task][1]:3s}  {dt:6.1f} s', flush=True)
    print(f'load average after {os.getloadavg()}')
    print('\nmedians over seeds ' + ' '.join(map(str, a.seeds)))
    for task in a.tasks:
        for k in (0, 1):
            r = res[task, k]
            print(f'  {task:10s} keep_frozen={k}  {SCORE[task][1]} {statistics.median(s for _, s, _ in r):.4f}  time {statistics.median(t for *_, t in r):6.1f} s')
        ratio = statistics.median(b[2]/f[2] for f, b in zip(res[task, 0], res[task, 1]))
        print(f'  {task:10s} time keep_frozen=1 / keep_frozen=0 (per pair): {ratio:.2f}')

if __name__ == '__main__': main()
