"""Batch prediction (`fastai_ch6.inference.predict`: one test DataLoader, batches of 64) against a loop of
`learn.predict` calls on the same images: images per second, medians of several runs, ratio in one run.

    python bench/bench_predict.py [--runs 3] [--n 200]

Trains a small multi-label model first (2 epochs on a 600-row sample of the stand-in), which is enough: the
speed of prediction does not depend on how well the model learned.
"""
import argparse, statistics, tempfile, time, warnings
from pathlib import Path

def main(runs=3, n=200):
    import torch
    from fastai_ch6.sources import pascal_2007
    from fastai_ch6.train import train_task
    from fastai_ch6.inference import load_model, predict
    torch.set_num_threads(2)
    out = Path(tempfile.mkdtemp())/'ml'
    train_task('multilabel', out=out, epochs=2, n_items=600, quiet=True)
    learn = load_model(out)
    files = sorted((pascal_2007()/'train').glob('*.jpg'))[:n]
    def batched(): predict(learn, files)
    def loop():
        with learn.no_bar(), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for f in files: learn.predict(f)
    times = {'batched predict': [], 'learn.predict loop': []}
    for _ in range(runs):
        for name, fn in [('batched predict', batched), ('learn.predict loop', loop)]:
            t = time.perf_counter(); fn(); times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items(): print(f"{k:20} {n/v:8.1f} images/s   (median of {runs} runs over {n} images: {v:.2f} s)")
    print(f"ratio: batched predict is {med['learn.predict loop']/med['batched predict']:.1f}x faster than the learn.predict loop")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3); ap.add_argument('--n', type=int, default=200)
    main(**vars(ap.parse_args()))
