"""Stand-in generation speed and size: seconds and MB per 1,000 images, medians of several runs.

Baseline in the same run: encoding a flat image of the same size as a JPEG with PIL, which is the
least any generator of JPEG files pays; the ratio shows what drawing the pictures adds on top.

    python bench/bench_generate.py [--runs 5] [--n 1000]
"""
import argparse, statistics, tempfile, time
from pathlib import Path
from PIL import Image
from fastai_ch6.standins import write_pascal_2007, write_biwi_head_pose

def _size_mb(root): return sum(p.stat().st_size for p in Path(root).rglob('*') if p.is_file())/1e6

def _time(fn, runs):
    times, sizes = [], []
    for r in range(runs):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter(); fn(Path(d)/'x', r); times.append(time.perf_counter() - t); sizes.append(_size_mb(Path(d)/'x'))
    return statistics.median(times), statistics.median(sizes)

def _flat_jpegs(root, n, size):
    root.mkdir()
    for i in range(n): Image.new('RGB', size, (128, 128, 128)).save(root/f'{i}.jpg', quality=90)

def main(runs=5, n=1000):
    per_person = max(1, round(n/24))
    cases = {
        'PASCAL_2007 stand-in': (lambda p, r: write_pascal_2007(p, n_train=n, n_test=0, seed=r), n,
                                 lambda p, r: _flat_jpegs(p, n, (500, 375))),
        'BIWI_HEAD_POSE stand-in': (lambda p, r: write_biwi_head_pose(p, frames_per_person=per_person, seed=r), per_person*24,
                                    lambda p, r: _flat_jpegs(p, per_person*24, (640, 480))),
    }
    print(f"{'dataset':26} {'s / 1000 images':>16} {'MB / 1000 images':>17} {'flat-JPEG baseline s/1000':>26} {'ratio':>6}")
    for name, (gen, count, base) in cases.items():
        t, mb = _time(gen, runs); tb, _ = _time(base, runs)
        k = 1000/count
        print(f"{name:26} {t*k:16.2f} {mb*k:17.1f} {tb*k:26.2f} {t/tb:6.1f}")
    print(f"(median of {runs} runs of {n} images each)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=5); ap.add_argument('--n', type=int, default=1000)
    main(**vars(ap.parse_args()))
