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

@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    "A fresh, empty stand-in cache for one test."
    d = tmp_path/'cache'
    monkeypatch.setenv('FASTAI_CH6_CACHE', str(d))
    return d

@pytest.fixture(scope='session')
def tiny(tmp_path_factory):
    "A tiny PASCAL-format stand-in: 160 rows of train.csv (half validation), 12 test images."
    from fastai_ch6.data import pascal_2007
    return pascal_2007('synthetic', dest=tmp_path_factory.mktemp('data')/'voc', n_train=160, n_test=12)
