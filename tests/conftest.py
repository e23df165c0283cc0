"Tests always use the stand-in datasets, in a cache folder of their own unless one is set."
import os, pytest

os.environ['FASTAI_CH6_DATA'] = 'synthetic'

@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    "A fresh, empty stand-in cache for one test."
    d = tmp_path/'cache'
    monkeypatch.setenv('FASTAI_CH6_CACHE', str(d))
    return d
