"The pretrained body: a corpus disjoint from the stand-ins, weights that load safely, fastai integration, shipped package data."
import ast, importlib.resources, inspect, subprocess, sys, zipfile
from pathlib import Path
import pytest, torch
from torch import nn

import fastai_ch6.data as data
import fastai_ch6.standins as standins
import fastai_ch6.models as models
import fastai_ch6.pretrain as pretrain
import fastai_ch6.corpus as corpus
from fastai_ch6.models import course_resnet, weights_path, load_body, CORPUS_STATS
from fastai_ch6.pretrain import model_card
from fastai_ch6.corpus import fractal_corpus, shapes_corpus

ROOT = Path(__file__).resolve().parent.parent
# everything that draws the stand-ins, or knows what they look like
DRAWING = ['GLYPHS', 'GLYPH_ASPECT', 'draw_glyph', '_voc_image', '_background', '_draw_head', '_person_look', '_biwi_frame',
           '_obj_text', 'write_pascal_2007', 'write_biwi_head_pose', 'pascal_2007', 'biwi_head_pose']

@pytest.mark.parametrize('module', [models, corpus, pretrain], ids=['models', 'corpus', 'pretrain'])
def test_models_source_never_names_the_stand_ins_drawing_code(module):
    tree = ast.parse(inspect.getsource(module))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not (names | imported) & set(DRAWING)
    from_data = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or '').split('.')[-1] in ('data', 'standins')
                 for a in n.names}
    assert from_data <= {'cache_dir'}, f"{module.__name__} imports {from_data - {'cache_dir'}} from the stand-ins' modules"
    assert not set(DRAWING) & set(vars(module))

def test_corpus_generation_never_reaches_the_drawing_code(monkeypatch):
    def boom(*a, **k): raise AssertionError("the corpus reached the stand-ins' drawing code")
    for mod in (data, standins):
        for name in DRAWING:
            if callable(getattr(mod, name, None)): monkeypatch.setattr(mod, name, boom)
        monkeypatch.setattr(mod, 'GLYPHS', None, raising=False)
    x, y = fractal_corpus(12, 3, 32, seed=5)            # fractal and noise classes
    assert x.shape == (36, 3, 32, 32) and set(y.tolist()) == set(range(12))
    x, y = shapes_corpus(12, 40, 32, seed=5)             # compound shapes
    assert x.shape == (40, 3, 32, 32) and y.sum() >= 40

def test_shapes_draw_only_their_own_polygons(monkeypatch):
    "Every stroke of the shapes corpus comes from `draw_shape` or `dead_leaves`, through PIL's drawing calls."
    from PIL import ImageDraw
    callers = set()
    for name in ('polygon', 'rectangle', 'ellipse', 'line', 'text', 'bitmap', 'pieslice', 'chord', 'rounded_rectangle'):
        orig = getattr(ImageDraw.ImageDraw, name)
        def spy(self, *a, _orig=orig, **k):
            callers.add(sys._getframe(1).f_code.co_name); return _orig(self, *a, **k)
        monkeypatch.setattr(ImageDraw.ImageDraw, name, spy)
    shapes_corpus(6, 10, 32, seed=2)
    assert callers == {'draw_shape', 'dead_leaves'}

def test_shipped_weights_load_safely_with_the_expected_keys():
    fname = weights_path()
    sd = torch.load(fname, map_location='cpu', weights_only=True)
    body_keys = [k for k in course_resnet().state_dict() if not k.startswith(f'{len(course_resnet()) - 1}.')]
    assert list(sd) == body_keys                          # the body, nothing else, in order
    assert {v.dtype for v in sd.values() if v.is_floating_point()} == {torch.float16}
    assert fname.stat().st_size < 5*2**20
    m = course_resnet(pretrained=True)
    assert all(torch.equal(m.state_dict()[k], v.float()) for k, v in sd.items() if v.is_floating_point())

def test_model_card_describes_the_shipped_file():
    import hashlib
    card = model_card()
    assert card['sha256'] == hashlib.sha256(weights_path().read_bytes()).hexdigest()
    assert card['stats'] == [list(s) for s in CORPUS_STATS]
    assert card['corpus']['n_classes'] >= 100 and card['valid_accuracy'] > 10*card['chance_accuracy']
    assert card['shapes']['n_classes'] >= 100 and card['shape_valid_map'] > 10*card['shape_chance_map']
    assert card['call'].startswith('pretrain_course_resnet(')

def test_wrong_weights_file_is_refused_with_its_name(tmp_path):
    torch.save({'fc.weight': torch.zeros(2)}, tmp_path/'x.pth')
    with pytest.raises(ValueError, match='x.pth'): course_resnet(weights=tmp_path/'x.pth')
    with pytest.raises(FileNotFoundError, match='pretrain_course_resnet'): load_body(course_resnet(), tmp_path/'none.pth')

@pytest.fixture(scope='module')
def dls(tiny):
    from fastai_ch6.datablock import pascal_dls
    return lambda: pascal_dls(path=tiny, size=32, bs=16)

def test_vision_learner_uses_model_meta(dls):
    from fastai.vision.all import vision_learner, model_meta, Normalize
    assert model_meta[course_resnet]['stats'] == CORPUS_STATS and model_meta[course_resnet]['cut'] == -4
    d = dls(); learn = vision_learner(d, course_resnet)
    assert len(learn.opt.param_groups) == 3              # stem, rest of the body, head: discriminative learning rates
    learn.opt.set_hyper('lr', slice(1e-5, 1e-3))            # what fine_tune does with its lr_mult
    lrs = [h['lr'] for h in learn.opt.hypers]
    assert lrs[0] == pytest.approx(1e-5) and lrs[2] == pytest.approx(1e-3) and lrs[0] < lrs[1] < lrs[2]
    trainable = lambda: sum(p.numel() for p in learn.model.parameters() if p.requires_grad)
    bn = sum(p.numel() for m in learn.model[0].modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    assert trainable() == sum(p.numel() for p in learn.model[1].parameters()) + bn   # frozen: head + batch norm
    learn.unfreeze(); assert trainable() == sum(p.numel() for p in learn.model.parameters())
    assert [t for t in d.after_batch.fs if isinstance(t, Normalize)]   # the corpus statistics were added
    shipped = course_resnet(pretrained=True).state_dict()
    assert all(torch.equal(v, shipped[k]) for k, v in learn.model[0].state_dict().items())

def test_vision_learner_from_scratch_and_with_other_weights(dls, tmp_path):
    from fastai.vision.all import vision_learner
    learn = vision_learner(dls(), course_resnet, pretrained=False)
    assert all(p.requires_grad for p in learn.model.parameters())   # nothing frozen
    sd = {k: torch.zeros_like(v) if v.is_floating_point() else v for k, v in course_resnet().state_dict().items() if not k.startswith('9.')}
    torch.save(sd, tmp_path/'zeros.pth')
    learn = vision_learner(dls(), course_resnet, weights=tmp_path/'zeros.pth')
    assert float(learn.model[0][0][0].weight.abs().sum()) == 0

def test_weights_resolve_as_package_data():
    res = importlib.resources.files('fastai_ch6')/'weights'/'course_resnet.pth'
    assert res.is_file() and Path(str(res)) == weights_path()
    assert (Path(models.__file__).parent/'weights'/'course_resnet.json').is_file()

def test_wheel_ships_the_weights_and_card(tmp_path):
    "A wheel built from a copy of the project (nothing written into the checkout) holds the weights and the card."
    import shutil
    src = tmp_path/'src'; src.mkdir()
    for f in ['settings.ini', 'setup.py', 'MANIFEST.in', 'README.md', 'LICENSE']: shutil.copy(ROOT/f, src/f)
    shutil.copytree(ROOT/'fastai_ch6', src/'fastai_ch6', ignore=shutil.ignore_patterns('__pycache__'))
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    names = zipfile.ZipFile(next(tmp_path.glob('*.whl'))).namelist()
    assert {'fastai_ch6/weights/course_resnet.pth', 'fastai_ch6/weights/course_resnet.json'} <= set(names)
