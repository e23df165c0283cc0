"Tests always use the stand-in datasets, in a temporary cache of their own: a test run never writes into the user's cache."
import os, subprocess, sys, tempfile, shutil, atexit
from pathlib import Path
import pytest

os.environ['FASTAI_CH6_DATA'] = 'synthetic'
_session_cache = tempfile.mkdtemp(prefix='fastai_ch6-test-cache-')
atexit.register(shutil.rmtree, _session_cache, ignore_errors=True)
os.environ['FASTAI_CH6_CACHE'] = _session_cache          # set before any fastai_ch6 import, and inherited by every subprocess

CH6 = str(Path(sys.executable).parent/'ch6')

def ch6(*args, timeout=600, **kw):
    "Run the installed `ch6` command; returns the completed process."
    return subprocess.run([CH6, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)

def ch6_here(*args, cwd=None):
    """Run `ch6` in this test process: `fastai_ch6.cli.main` (what the installed command calls) with its output captured,
    returning what `ch6` returns. It skips the 7-8 s of imports a new process costs. A test of what only another process
    shows (a kill, a lock held by a running job, a warning Python shows once per process) uses `ch6`."""
    import contextlib, io
    from fastai_ch6 import cli
    argv, out, err, here = [str(a) for a in args], io.StringIO(), io.StringIO(), os.getcwd()
    try:
        if cwd is not None: os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try: cli.main(argv); rc = 0
            except SystemExit as e: rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally: os.chdir(here)
    return subprocess.CompletedProcess(['ch6', *argv], rc, out.getvalue(), err.getvalue())

@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    "A fresh, empty stand-in cache for one test."
    d = tmp_path/'cache'
    monkeypatch.setenv('FASTAI_CH6_CACHE', str(d))
    return d

def finished_run(data, out, *options):
    "Train a 1-epoch multi-label run on `data` into `out` in this process (`ch6_here`), with `options` added; returns `out`."
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', data, '--out', out, '--epochs', 1, *options)
    assert r.returncode == 0, r.stderr[-3000:]
    return out

@pytest.fixture(scope='module')
def run(tiny, tmp_path_factory):
    "One finished 1-epoch multi-label run on the tiny stand-in, one per test module."
    return finished_run(tiny, tmp_path_factory.mktemp('runs')/'ml')

@pytest.fixture(scope='module')
def tiny_biwi(tmp_path_factory):
    "A tiny BIWI-format stand-in: 4 frames of each of the 24 people, one per test module (tests may add to it)."
    from fastai_ch6.sources import biwi_head_pose
    return biwi_head_pose('synthetic', dest=tmp_path_factory.mktemp('data')/'biwi', frames_per_person=4)

@pytest.fixture(scope='session')
def tiny(tmp_path_factory):
    "A tiny PASCAL-format stand-in: 160 rows of train.csv (half validation), 12 test images."
    from fastai_ch6.sources import pascal_2007
    return pascal_2007('synthetic', dest=tmp_path_factory.mktemp('data')/'voc', n_train=160, n_test=12)
