"""One torch thread against two: training and prediction speed on this machine, in one run.

For each model the course trains (`small_cnn` for PASCAL at 64 px, `head_cnn` for BIWI at 120×160, and the
fine-tuned `course_resnet`: at 64 px for PASCAL, and cut at its 1/8 grid by `point_learner` for BIWI at 120×160, the
two defaults) and for batch prediction (`get_preds` over the validation set of the
multi-label stand-in), alternates 1 and 2 threads `--runs` times and reports images per second: the medians and the
ratio 2 threads / 1 thread. The load average before and after is printed, because threads behave very differently on
an idle machine and on a busy one (run it under load, for example beside `stress --cpu 2`, to see both).

Run: python bench/bench_threads.py [--runs 3] [--batches 12]

Measured for the course on a 2-core machine (the lessons point here instead of quoting machine figures), as the
ratio of images per second with 2 threads to 1 thread:
- idle (load below 1): training `small_cnn` 1.47, fine-tuned `course_resnet` 1.53 (PASCAL) and 1.75 (BIWI, cut at its
  1/8 grid), `head_cnn` 1.64; prediction 1.24. Two threads are faster, well short of twice as fast.
- beside four busy processes (load about 4): training 0.25 to 0.48, that is two threads 2 to 4 times slower than one,
  while one thread lost only what the other programs took.
"""
import argparse, os, statistics, time
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')
import warnings; warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import Learner, MSELossFlat, vision_learner, set_seed
from fastai_ch6.sources import biwi_head_pose
from fastai_ch6.datablock import pascal_dls
from fastai_ch6.losses import BinaryCrossEntropy
from fastai_ch6.models import small_cnn
from fastai_ch6.models import course_resnet
from fastai_ch6.regression import biwi_dls
from fastai_ch6.models import head_cnn, point_learner
from speed import _Timer

def learners():
    "name -> function making a fresh learner, for each model the course trains."
    ml = lambda: pascal_dls(size=64, bs=64)
    return {'small_cnn (PASCAL, 64 px)': lambda: Learner(ml(), small_cnn(), loss_func=BinaryCrossEntropy()),
            'course_resnet fine-tune (PASCAL, 64 px)': lambda: vision_learner(ml(), course_resnet, loss_func=BinaryCrossEntropy()),
            'head_cnn (BIWI, 120x160)': lambda: Learner(biwi_dls(biwi_head_pose(), size=(120, 160), bs=64), head_cnn(),
                                                         loss_func=MSELossFlat()),
            'course_resnet point_learner fine-tune (BIWI, 120x160)': lambda: point_learner(biwi_dls(biwi_head_pose(), size=(120, 160), bs=64),
                                                                                         course_resnet, loss_func=MSELossFlat())}

def train_speed(make, threads, warm, n):
    torch.set_num_threads(threads); set_seed(0)
    learn = make()
    if hasattr(learn, 'unfreeze'): learn.unfreeze()
    t = _Timer(warm, n)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=t)
    return n*learn.dls.train.bs/t.dt

def predict_speed(learn, threads):
    torch.set_num_threads(threads)
    t = time.perf_counter()
    with learn.no_bar(): preds, _ = learn.get_preds()
    return len(preds)/(time.perf_counter() - t)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3); ap.add_argument('--batches', type=int, default=12)
    ap.add_argument('--warmup', type=int, default=3)
    a = ap.parse_args()
    print(f"cpus {os.cpu_count()}, load average before {tuple(round(v, 1) for v in os.getloadavg())}", flush=True)
    res = {}
    for name, make in learners().items():
        for r in range(a.runs):
            for th in (1, 2):
                res.setdefault((name, th), []).append(train_speed(make, th, a.warmup, a.batches))
        print(f"train {name}: " + ', '.join(f"{th} thread{'s'*(th>1)} {statistics.median(res[(name, th)]):.0f} img/s" for th in (1, 2)) +
              f"; 2/1 = {statistics.median(res[(name, 2)])/statistics.median(res[(name, 1)]):.2f}", flush=True)
    learn = Learner(pascal_dls(size=64, bs=64), small_cnn(), loss_func=BinaryCrossEntropy())
    for r in range(a.runs):
        for th in (1, 2): res.setdefault(('predict', th), []).append(predict_speed(learn, th))
    p1, p2 = (statistics.median(res[('predict', th)]) for th in (1, 2))
    print(f"predict small_cnn (get_preds, {len(learn.dls.valid_ds)} images): 1 thread {p1:.0f} img/s, 2 threads {p2:.0f} img/s; 2/1 = {p2/p1:.2f}")
    print(f"load average after {tuple(round(v, 1) for v in os.getloadavg())}")
