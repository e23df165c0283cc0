"""Smoke test of an install made without constraints.txt (run by .ci/run in its own venv): the two things that unpinned
versions broke before. plum-dispatch 2.10 made every `Learner.export` fail; pandas 3 broke fastai's `ColReader(0)`,
which `ImageDataLoaders.from_df` uses with its default columns. Each is exercised for real on a tiny stand-in."""
import sys, tempfile
from pathlib import Path
from fastai.vision.all import ImageDataLoaders, Learner, BCEWithLogitsLossFlat, load_learner, nn, pd, torch, Resize
from fastai_ch6.sources import pascal_2007

with tempfile.TemporaryDirectory() as d:
    path = pascal_2007('synthetic', dest=Path(d)/'voc', n_train=40, n_test=0)
    df = pd.read_csv(path/'train.csv')
    dls = ImageDataLoaders.from_df(df, path, folder='train', valid_col='is_valid', label_delim=' ',
                                   item_tfms=Resize(16), bs=8, num_workers=0)        # fastai's multi-label tutorial, default columns
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, dls.c))
    learn = Learner(dls, model, loss_func=BCEWithLogitsLossFlat(), path=Path(d))
    learn.export('model.pkl')
    again = load_learner(Path(d)/'model.pkl')
    x = dls.one_batch()[0]; learn.model.eval(); again.model.eval()
    assert torch.equal(learn.model(x), again.model(x)) and list(again.dls.vocab) == list(dls.vocab)
print("smoke test passed: from_df with default columns, export and reload")
