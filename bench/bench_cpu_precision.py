"""Channels-last memory and bfloat16 mixed precision on the CPU: training speed of the two default models, in one run.

For `course_resnet` fine-tuned on PASCAL at 64 px (`vision_learner`) and cut at its 1/8 grid for BIWI at 120x160
(`point_learner`), unfrozen, batch 64, 2 threads, trains through fastai's `fit` (data loading included) in four ways:
float32 as PyTorch stores it, `ChannelsLast`, `CPUMixedPrecision` (bfloat16), and both. Each way is timed `--runs`
times, alternating, over `--batches` batches after two warm-up batches; the median images per second and the ratio to
float32 in the same run are printed.

`--isa` repeats the whole measurement in a fresh process with oneDNN limited to older instruction sets
(`ONEDNN_MAX_CPU_ISA`), to see what CPUs without bfloat16 in hardware (AVX512_CORE) or without AVX-512 (AVX2) get.

Run: python bench/bench_cpu_precision.py [--runs 3] [--batches 8] [--isa DEFAULT AVX512_CORE AVX2] [--ways float32 channels-last ...]
"""
import argparse, json, os, statistics, subprocess, sys
os.environ.setdefault('FASTAI_CH6_DATA', 'synthetic')

WAYS = {'float32': dict(cl=False, bf16=False), 'channels-last': dict(cl=True, bf16=False),
        'bfloat16': dict(cl=False, bf16=True), 'channels-last + bfloat16': dict(cl=True, bf16=True)}

def measure(runs, batches, ways=tuple(WAYS)):
    "{model: {way: [images per second, one per run]}} in this process."
    import warnings; warnings.filterwarnings('ignore')
    import torch
    from fastai.vision.all import MSELossFlat, vision_learner, set_seed
    from fastai.callback.channelslast import ChannelsLast
    from fastai_ch6.sources import biwi_head_pose
    from fastai_ch6.datablock import pascal_dls
    from fastai_ch6.losses import BinaryCrossEntropy
    from fastai_ch6.speed import CPUMixedPrecision
    from fastai_ch6.models import course_resnet, point_learner
    from fastai_ch6.regression import biwi_dls
    from speed import _Timer
    torch.set_num_threads(2)
    dls = {'PASCAL 64 px': pascal_dls(size=64, bs=64), 'BIWI 120x160': biwi_dls(biwi_head_pose(), size=(120, 160), bs=64)}
    make = {'PASCAL 64 px': lambda cbs: vision_learner(dls['PASCAL 64 px'], course_resnet, loss_func=BinaryCrossEntropy(), cbs=cbs),
            'BIWI 120x160': lambda cbs: point_learner(dls['BIWI 120x160'], course_resnet, loss_func=MSELossFlat(), cbs=cbs)}
    res = {m: {w: [] for w in ways} for m in make}
    for _ in range(runs):
        for m, mk in make.items():
            for w in ways:
                o = WAYS[w]
                set_seed(0)
                learn = mk([ChannelsLast()]*o['cl'] + [CPUMixedPrecision()]*o['bf16'])
                learn.unfreeze()
                t = _Timer(2, batches)
                with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-4, cbs=t)
                res[m][w].append(batches*64/t.dt)
    return res

def report(isa, res):
    print(f"\n== oneDNN instruction set: {isa}")
    for m, ways in res.items():
        base = statistics.median(ways['float32'])
        for w, v in ways.items():
            print(f"  {m:13} {w:25} {statistics.median(v):7.0f} images/s  (runs: {', '.join(f'{x:.0f}' for x in v)})  "
                  f"x{statistics.median(v)/base:.2f} float32")

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=3); ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--isa', nargs='+', default=['DEFAULT', 'AVX512_CORE', 'AVX2'])
    ap.add_argument('--ways', nargs='+', choices=list(WAYS), default=list(WAYS),
                    help='float32 is always measured (the baseline); skip the bfloat16 ways on a CPU without bfloat16 hardware, where they are emulated and slow')
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    ways = ['float32'] + [w for w in a.ways if w != 'float32']
    if a.child: print(json.dumps(measure(a.runs, a.batches, ways))); sys.exit()
    with open('/proc/loadavg') as f: print('load average before:', f.read().split()[:3])
    import warnings; warnings.filterwarnings('ignore')
    from fastai_ch6.speed import cpu_has_bf16
    print('bfloat16 in hardware (cpu_has_bf16):', cpu_has_bf16())
    for isa in a.isa:
        env = dict(os.environ, **({} if isa == 'DEFAULT' else {'ONEDNN_MAX_CPU_ISA': isa}))
        out = subprocess.run([sys.executable, __file__, '--child', '--runs', str(a.runs), '--batches', str(a.batches), '--ways', *ways],
                             env=env, capture_output=True, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
        if out.returncode: sys.exit(out.stderr)
        report(isa, json.loads(out.stdout.strip().splitlines()[-1]))
    with open('/proc/loadavg') as f: print('\nload average after:', f.read().split()[:3])
