"The stand-in datasets end to end: the `ch6-data` command, bad arguments, and a real interruption of a generation."
import os, signal, subprocess, sys, time, shutil
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent

def _run(args, env_extra, timeout=300):
    env = {**os.environ, **env_extra}
    return subprocess.run([str(BIN/'ch6-data'), *args], capture_output=True, text=True, env=env, timeout=timeout)

def test_ch6_data_builds_and_describes_both_datasets(tmp_cache):
    r = _run(['--n_train', '80', '--frames_per_person', '4'], {'FASTAI_CH6_CACHE': str(tmp_cache)})
    assert r.returncode == 0, r.stderr
    assert 'train.csv: 80 images (40 train, 40 valid), 20 classes' in r.stdout
    assert '24 recordings (folders), 96 frames (4-4 per recording)' in r.stdout
    built = sorted(p.name for p in tmp_cache.iterdir() if not p.name.startswith('.'))
    assert built == ['biwi_head_pose-synthetic-f4-s42', 'pascal_2007-synthetic-n80-t500-s42']
    # a second run finds the cache and generates nothing
    before = {p: p.stat().st_mtime_ns for p in tmp_cache.rglob('*.jpg')}
    r2 = _run(['--n_train', '80', '--frames_per_person', '4'], {'FASTAI_CH6_CACHE': str(tmp_cache)})
    assert r2.returncode == 0 and {p: p.stat().st_mtime_ns for p in tmp_cache.rglob('*.jpg')} == before

def test_ch6_data_rejects_an_unknown_source_clearly(tmp_cache):
    r = _run(['--source', 'synthtic'], {'FASTAI_CH6_CACHE': str(tmp_cache)})
    assert r.returncode != 0
    assert "invalid choice: 'synthtic' (choose from 'real', 'synthetic', 'auto')" in r.stderr and 'Traceback' not in r.stderr
    assert not tmp_cache.exists() or not any(tmp_cache.iterdir())

def test_real_source_offline_fails_at_once_naming_the_stand_in(tmp_cache, tmp_path):
    from fastai_ch6.sources import _reachable, _real_url
    if _reachable(_real_url('PASCAL_2007')): pytest.skip('the dataset server is reachable here: this test is for offline machines')
    t = time.time()
    r = _run(['--source', 'real'], {'FASTAI_CH6_CACHE': str(tmp_cache), 'FASTAI_HOME': str(tmp_path/'fastai_home')}, timeout=60)
    assert r.returncode != 0 and 'Traceback' not in r.stderr
    assert "pascal_2007(source='synthetic')" in r.stderr and 'FASTAI_CH6_DATA=synthetic' in r.stderr
    assert time.time() - t < 45   # it does not hang (the probe's timeout is 3 s)

GEN = "import sys; from fastai_ch6.sources import pascal_2007; pascal_2007('synthetic', dest=sys.argv[1], n_train=4000, n_test=0)"

@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGKILL])
def test_interrupted_generation_leaves_no_half_dataset(tmp_path, sig):
    "Ctrl-C or a killed process during generation: no dataset folder appears, and the next call builds it whole."
    dest = tmp_path/'voc'
    # a shell that starts jobs in the background makes them ignore SIGINT; give the generator a normal Ctrl-C
    p = subprocess.Popen([sys.executable, '-c', GEN, str(dest)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while time.time() < deadline:   # wait until the generator is writing images into its temporary folder
        tmps = list(tmp_path.glob('.voc.tmp-*'))
        if tmps and len(list((tmps[0]/'train').glob('*.jpg'))) > 50: break
        time.sleep(.05)
    else: pytest.fail('generation never started')
    p.send_signal(sig); p.wait(timeout=60)
    assert p.returncode != 0, 'the generator finished before it was interrupted'
    assert not dest.exists()
    if sig == signal.SIGINT: assert not list(tmp_path.glob('.voc.tmp-*'))   # cleaned up on the way out
    from fastai_ch6.sources import pascal_2007
    from fastai_ch6.core import dataset_is_complete
    root = pascal_2007('synthetic', dest=dest, n_train=40, n_test=0)   # a later call (other size) builds cleanly
    assert dataset_is_complete(root) and len(list((root/'train').glob('*.jpg'))) == 40
    assert not list(tmp_path.glob('.voc.tmp-*'))   # stale temporary folders are removed
