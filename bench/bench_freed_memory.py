"""`KeepFreedMemory` (glibc keeps freed memory for the next batch): training speed and peak memory, with and without, in one run.

For each task's default model at the demo's size (`course_resnet` fine-tuned on PASCAL at 64 px; cut at its 1/8 grid by
`point_learner` for BIWI at 120x160; batch 64, every layer trainable, channels-last, float32 or bfloat16 as
`cpu_speedups` picks), trains through fastai's `fit` for `--batches` batches after two warm-up batches, in a fresh
process for each measurement (glibc's settings and the peak memory are per process), alternating with and without
`KeepFreedMemory`, `--runs` times. Prints the median seconds per batch, the ratio without / with in the same run,
and each way's peak resident memory (`ru_maxrss` of the process, data and imports included).

Run: python bench/bench_freed_memory.py [--runs 3] [--batches 8]
"""
import argparse, json, os, statistics, subprocess, sys

CHILD = r'''
import json, resource, sys, time, warnings
warnings.filterwarnings('ignore')
from fastai.vision.all import Callback, CancelEpochException
from fastai_ch6.learners import task_learner, default_data
from fastai_ch6.speed import cpu_speedups, KeepFreedMemory
task, keep, nb = sys.argv[1], sys.argv[2] == '1', int(sys.argv[3])
learn = task_learner(task, default_data(task))
cbs = [cb for cb in cpu_speedups() if keep or not isinstance(cb, KeepFreedMemory)]
learn.add_cbs(cbs); learn.unfreeze()
for b in learn.dls.train: pass                       # the items decoded once, as after the first epoch
class Timer(Callback):
    def after_batch(self):
        if self.iter == 1: self.t0 = time.perf_counter()
        if self.iter == nb + 1: self.dt = time.perf_counter() - self.t0; raise CancelEpochException
timer = Timer()
with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=timer)
print(json.dumps(dict(s_per_batch=timer.dt/nb, peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,
                      kept=any(isinstance(cb, KeepFreedMemory) for cb in learn.cbs))))
'''

def measure(task, keep, batches):
    env = dict(os.environ, FASTAI_CH6_DATA=os.environ.get('FASTAI_CH6_DATA', 'synthetic'))
    r = subprocess.run([sys.executable, '-c', CHILD, task, '1' if keep else '0', str(batches)], capture_output=True, text=True, env=env)
    if r.returncode: sys.exit(f'{task} keep={keep} failed:\n{r.stderr[-2000:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--tasks', nargs='+', default=['multilabel', 'regression'])
    a = ap.parse_args()
    print(f'cpus {os.cpu_count()}, load average before {os.getloadavg()}')
    for task in a.tasks:
        res = {True: [], False: []}
        for r in range(a.runs):
            for keep in (False, True):
                m = measure(task, keep, a.batches); res[keep].append(m)
                print(f'run {r}: {task:10} {"kept   " if keep else "default"} {m["s_per_batch"]:.3f} s/batch, peak {m["peak_mb"]:.0f} MB', flush=True)
        ratios = [o['s_per_batch']/k['s_per_batch'] for o, k in zip(res[False], res[True])]
        med = lambda keep, k: statistics.median(m[k] for m in res[keep])
        print(f'{task}: median {med(False, "s_per_batch"):.3f} s/batch with glibc\'s defaults, {med(True, "s_per_batch"):.3f} with KeepFreedMemory: '
              f'{statistics.median(ratios):.2f}x faster (in-run ratios {", ".join(f"{x:.2f}" for x in ratios)}); '
              f'peak memory {med(False, "peak_mb"):.0f} MB -> {med(True, "peak_mb"):.0f} MB', flush=True)
    print(f'load average after {os.getloadavg()}')

if __name__ == '__main__': main()
