"The project's own promises: README from index.ipynb, the two commands, the install, notebooks and package in step."
import configparser, json, re, shutil, subprocess, sys, importlib, pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from make_readme import readme_text
from readme_commands import readme_commands

def test_readme_matches_index_notebook():
    assert (ROOT/'README.md').read_text(encoding='utf-8') == readme_text(), \
        "README.md differs from nbs/index.ipynb: run `python tools/make_readme.py`"

def test_readme_starts_with_exactly_two_commands():
    cmds = readme_commands()
    assert len(cmds) == 2, cmds
    install_run, install_test = cmds
    assert install_run.startswith('pip install') and install_run.endswith('ch6 demo')   # the main job on the embedded default
    assert '.[dev]' in install_test and 'nbdev_test' in install_test and re.search(r'pytest( -\S+( \d+| \w+)?)* tests$', install_test)
    assert 'FASTAI_CH6_DATA=synthetic' in install_test   # tests pin the stand-in data
    text = (ROOT/'README.md').read_text()
    assert text.index(install_run) < text.index('## What is in the course')   # at the top

def test_ci_runs_both_readme_commands_in_fresh_venvs():
    ci = (ROOT/'.ci'/'run').read_text()
    assert 'tools/readme_commands.py 1' in ci and 'tools/readme_commands.py 2' in ci
    assert ci.count('python3 -m venv') >= 3              # command 1, command 2, and an install without constraints.txt

def _runtime_closure():
    "Top-level import names of the distributions that `pip install .` brings: the runtime requirements and all they require."
    from importlib.metadata import distribution, packages_distributions, PackageNotFoundError
    from packaging.requirements import Requirement
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    todo, dists = [Requirement(r) for r in cfg['DEFAULT']['requirements'].split()], set()
    while todo:
        r = todo.pop()
        if r.marker is not None and not r.marker.evaluate({'extra': ''}): continue
        name = r.name.lower().replace('_', '-')
        if name in dists: continue
        dists.add(name)
        try: todo += [Requirement(q) for q in (distribution(name).requires or [])]
        except PackageNotFoundError: pass
    return {mod for mod, ds in packages_distributions().items() if any(d.lower().replace('_', '-') in dists for d in ds)}

def test_every_module_imports_from_the_runtime_requirements_alone():
    "Import every module with only the runtime requirements' closure importable: a package only the dev extra brings fails it."
    from importlib.metadata import packages_distributions
    allowed = _runtime_closure() | {'fastai_ch6'}
    hidden = sorted(set(packages_distributions()) - allowed)
    assert 'nbdev' in hidden and 'fastai' not in hidden          # the check can fail: dev tools are hidden, the runtime is not
    mods = [m.name for m in pkgutil.iter_modules([str(ROOT/'fastai_ch6')]) if m.name != '_modidx']
    code = f"""
import sys, importlib, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {hidden!r}: raise ModuleNotFoundError(f"No module named {{name!r}} (not a runtime requirement)")
sys.meta_path.insert(0, Hide())
for m in {mods!r}: importlib.import_module('fastai_ch6.' + m)
from fastai_ch6.all import *
print('imported', len({mods!r}))
"""
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and 'imported' in r.stdout, r.stderr[-3000:]

def test_library_pins_what_it_cannot_work_without():
    "Users of `pip install fastai_ch6` never see constraints.txt: the pins the package needs to work are its own."
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    reqs = cfg['DEFAULT']['requirements'].split()
    for pin in ['plum-dispatch<2.10', 'pandas<3', 'fastcore<2', 'accelerate']: assert pin in reqs
    lessons = cfg['DEFAULT']['lessons_requirements']
    for pin in ['jupyterlab', 'nbdev>=2.4.14,<3']: assert pin in lessons

def test_installed_stack_is_pinned_and_consistent():
    from importlib.metadata import version
    assert version('torch').split('+')[0] == '2.14.1' and version('torchvision').split('+')[0] == '0.29.1'
    assert version('fastai') == '2.8.7' and version('fastcore').startswith('1.')
    assert version('nbdev').startswith('2.') and version('execnb').startswith('0.1.')
    r = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def _fastai_names():
    ns = {}; exec('from fastai.vision.all import *', ns); return ns

LESSON_MODULES = ['data', 'datablock', 'losses', 'metrics', 'thresholds', 'regression', 'models']

def test_all_brings_in_every_lesson_name_that_fastai_lacks():
    "`all` is the lessons' toolbox: every public name of the lesson modules, except those fastai also defines."
    ns, fastai = {}, _fastai_names(); exec('from fastai_ch6.all import *', ns)
    for m in LESSON_MODULES:
        mod = importlib.import_module(f'fastai_ch6.{m}')
        missing = [n for n in getattr(mod, '__all__', []) if n not in ns and n not in fastai]
        assert not missing, f"fastai_ch6.all lacks fastai_ch6.{m}: {missing[:5]}"

def test_book_order_star_imports_leave_every_fastai_name_alone():
    "`from fastai.vision.all import *` then `from fastai_ch6.all import *`, as a reader writes them: no fastai name changes meaning."
    ns = {}
    exec('from fastai.vision.all import *', ns); before = dict(ns)
    exec('from fastai_ch6.all import *', ns)
    changed = sorted(k for k, v in before.items() if not k.startswith('__') and ns[k] is not v)
    assert not changed, f"fastai_ch6.all replaces fastai's {changed}: rename the course's version or keep it out of `all`"
    assert {'accuracy_multi', 'sigmoid_range', 'load_model'} <= set(before)     # the names that used to collide are fastai's

def test_package_has_no_unused_imports():
    "Imports only a lesson's own cells use stay out of its export cells (ruff's F401 over the package)."
    ruff = shutil.which('ruff') or str(Path(sys.executable).parent/'ruff')
    r = subprocess.run([ruff, 'check', '--select', 'F401', '--output-format', 'concise', str(ROOT/'fastai_ch6')], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def _copy_project(dst):
    for f in ['settings.ini', 'setup.py']: shutil.copy(ROOT/f, dst/f)
    for d in ['nbs', 'fastai_ch6']:
        shutil.copytree(ROOT/d, dst/d, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '_proc'))

def _tree(root, pattern):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).glob(pattern))}

def test_nbdev_export_and_clean_change_nothing(tmp_path):
    "The package is what the notebooks export, and the notebooks are clean, as CI's nbdev check requires."
    _copy_project(tmp_path)
    bindir = Path(sys.executable).parent
    for cmd in ['nbdev_export', 'nbdev_clean']:
        r = subprocess.run([str(bindir/cmd)], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert _tree(tmp_path, 'fastai_ch6/*.py') == _tree(ROOT, 'fastai_ch6/*.py'), \
        "fastai_ch6/ differs from what nbdev_export writes: edit the notebook, run nbdev_export, commit both"
    assert _tree(tmp_path, 'nbs/*.ipynb') == _tree(ROOT, 'nbs/*.ipynb'), "a notebook is not clean: run nbdev_clean"

def test_pinned_stack_can_export_and_reload_a_learner(tmp_path):
    "Learner.export -> load_learner works on the pinned stack (plum-dispatch 2.10 breaks it: see constraints.txt)."
    from fastai.vision.all import DataBlock, ImageBlock, MultiCategoryBlock, ColReader, ColSplitter, Resize, Learner, \
        BCEWithLogitsLossFlat, load_learner, nn, pd, torch
    from fastai_ch6.sources import pascal_2007
    path = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=40, n_test=0)
    df = pd.read_csv(path/'train.csv')
    dls = DataBlock(blocks=(ImageBlock, MultiCategoryBlock), get_x=ColReader('fname', pref=path/'train'),
                    get_y=ColReader('labels', label_delim=' '), splitter=ColSplitter('is_valid'),
                    item_tfms=Resize(16)).dataloaders(df, bs=8, num_workers=0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, dls.c))
    learn = Learner(dls, model, loss_func=BCEWithLogitsLossFlat(), path=tmp_path)
    learn.export('model.pkl')
    learn2 = load_learner(tmp_path/'model.pkl')
    x = dls.one_batch()[0]
    learn.model.eval(); learn2.model.eval()
    assert torch.equal(learn.model(x), learn2.model(x))
    assert list(learn2.dls.vocab) == list(dls.vocab)

# ---- the shape of the package -------------------------------------------------------------------------------------
# The notebooks are numbered in dependency order: each module may import only from the modules of lower-numbered notebooks.
def notebook_modules(nbs=ROOT/'nbs'):
    "[(notebook name, module it exports)] in the notebooks' order, nbs/NN_*.ipynb, read from each one's `default_exp`."
    out = []
    for f in sorted(Path(nbs).glob('[0-9][0-9]_*.ipynb')):
        src = '\n'.join(''.join(c['source']) for c in json.loads(f.read_text())['cells'] if c['cell_type'] == 'code')
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', src, re.M)
        out.append((f.name, m.group(1) if m else None))
    return out

LAYERS = [m for _, m in notebook_modules() if m] + ['all']

def _our_imports(fname=None, text=None):
    "Names of the `fastai_ch6` modules that `fname` (or the code `text`) imports, anywhere (top level or inside functions)."
    import ast
    found = set()
    for node in ast.walk(ast.parse(text if text is not None else Path(fname).read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1 and mod: found.add(mod.split('.')[0])
            elif node.level == 1: found.update(a.name for a in node.names)
            elif mod.startswith('fastai_ch6.'): found.add(mod.split('.')[1])
            elif mod == 'fastai_ch6': found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split('.')[1] for a in node.names if a.name.startswith('fastai_ch6.'))
    return found

def _arrows_back():
    back = []
    for i, m in enumerate(LAYERS):
        f = ROOT/'fastai_ch6'/f'{m}.py'
        if not f.exists(): continue
        for dep in _our_imports(f):
            if dep in LAYERS and LAYERS.index(dep) >= i: back.append(f'{m} imports {dep}')
    return back

def test_imports_run_one_way_from_the_machinery_to_the_main_job():
    "The package in the notebooks' order: machinery (00-04) → the chapter (05-11) → the course's body (12-13) → the main job (14-19), no arrow back."
    mods = {p.stem for p in (ROOT/'fastai_ch6').glob('*.py') if not p.stem.startswith('_')}
    assert mods <= set(LAYERS), f"modules without a notebook: {sorted(mods - set(LAYERS))}"
    assert not _arrows_back(), _arrows_back()

def _later_imports(nbs=ROOT/'nbs'):
    "['NN_x.ipynb imports m'] for every cell of a numbered notebook that imports a module exported by a later-numbered notebook."
    order = notebook_modules(nbs); rank = {m: i for i, (_, m) in enumerate(order) if m}
    bad = []
    for i, (name, _) in enumerate(order):
        for c in json.loads((Path(nbs)/name).read_text())['cells']:
            if c['cell_type'] != 'code': continue
            code = '\n'.join(l for l in ''.join(c['source']).splitlines() if not l.lstrip().startswith(('%', '!')))
            try: deps = _our_imports(text=code)
            except SyntaxError: continue
            bad += [f'{name} imports {d}' for d in sorted(deps) if rank.get(d, -1) > i]
    return bad

def test_no_lesson_imports_from_a_later_notebook():
    "A reader meets every name before it is used: no cell of a notebook imports a module that a later notebook exports."
    assert not _later_imports(), _later_imports()

def test_the_later_import_check_can_fail(tmp_path):
    def nb(name, *sources):
        (tmp_path/name).write_text(json.dumps({'cells': [{'cell_type': 'code', 'source': s} for s in sources]}))
    nb('00_a.ipynb', '#| default_exp a', 'from fastai_ch6.b import f')           # 00 uses what 01 defines
    nb('01_b.ipynb', '#| default_exp b', 'from fastai_ch6.a import g\n%time g()')
    assert _later_imports(tmp_path) == ['00_a.ipynb imports b']

def test_the_import_check_sees_an_arrow_back(tmp_path, monkeypatch):
    "The check above can fail: a module importing a later one is reported, whether the import is at the top or inside a function."
    f = tmp_path/'m.py'
    f.write_text("from .train import x\ndef g():\n    from fastai_ch6 import cli\n    import fastai_ch6.models\n")
    assert _our_imports(f) == {'train', 'cli', 'models'}

GENERIC = {'predict', 'evaluate', 'main', 'project', 'TASKS', 'DEFAULTS', 'GLYPHS', 'draw_glyph', 'HEAD_WIDTH_MM',
           'rotation_matrix', 'cal_text', 'pose_text', 'check_option', 'atomic_write'}   # `plain` is lesson 07's

def test_all_leaves_generic_and_internal_names_out():
    "`from fastai_ch6.all import *` brings in what a reader of the lessons uses, not the main job's generic names or generator internals."
    ns = {}; exec('from fastai_ch6.all import *', ns)
    assert not GENERIC & set(ns), sorted(GENERIC & set(ns))
    assert {'pascal_2007', 'pascal_dls', 'binary_cross_entropy', 'mean_average_precision', 'sweep_thresholds', 'biwi_dls',
            'course_resnet', 'small_cnn', 'head_cnn', 'loss_for'} <= set(ns)

MACHINE_PATH = re.compile(r"(/root/|/home/[^/\s\"']+/|/tmp/|/var/folders/|/private/var/|/work/|site-packages|\.venv|/Users/[^/\s\"']+/|[A-Za-z]:\\\\Users)")

def _machine_paths(nb):
    "Absolute home, temporary or virtual-environment paths in a notebook's text outputs (pictures are not read)."
    hits = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            texts = [o.get('text', ''), *o.get('traceback', [])] + [v for k, v in o.get('data', {}).items() if k.startswith('text/')]
            for t in texts:
                t = ''.join(t) if isinstance(t, list) else t
                hits += [f"cell {c.get('id')}: ...{t[max(0, m.start()-40):m.end()+30]}..." for m in MACHINE_PATH.finditer(t)]
    return hits

def test_no_committed_output_shows_a_machine_path():
    "Saved outputs show file names relative to the dataset or output folder, never the author's home, temp folders or venv."
    bad = {p.name: _machine_paths(json.loads(p.read_text())) for p in sorted((ROOT/'nbs').glob('*.ipynb'))}
    bad = {k: v[:3] for k, v in bad.items() if v}
    assert not bad, bad

def test_the_output_scan_finds_machine_paths():
    out = lambda t: dict(cells=[dict(id='x', outputs=[dict(output_type='stream', text=t)])])
    assert _machine_paths(out("saved /tmp/tmpab12/model.pth"))
    assert _machine_paths(out(["warn: /root/.venv/lib/python3.11/site-packages/torch/x.py:1"]))
    assert _machine_paths(dict(cells=[dict(id='y', outputs=[dict(output_type='execute_result', data={'text/plain': "Path('/home/ann/.cache/x')"})])]))
    assert not _machine_paths(out("train/000005.jpg, 01/frame_00003_rgb.jpg"))

def _private_imports(fname):
    "Underscore names that `fname` imports from another `fastai_ch6` module."
    import ast
    return sorted(f"{n.module}.{a.name}" for n in ast.walk(ast.parse(Path(fname).read_text())) if isinstance(n, ast.ImportFrom)
                  and (n.level == 1 or (n.module or '').startswith('fastai_ch6')) for a in n.names if a.name.startswith('_'))

def _private_attributes(fname):
    "`M._name` in `fname`, where `M` is another `fastai_ch6` module: `from . import train as T` then `T._x`, `import fastai_ch6.train as T`, `fastai_ch6.train._x`."
    import ast
    tree, me, mods = ast.parse(Path(fname).read_text()), Path(fname).stem, {}       # mods: the name a module is bound to -> the module
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and ((n.level == 1 and n.module is None) or (n.level == 0 and n.module == 'fastai_ch6')):
            mods.update({a.asname or a.name: a.name for a in n.names})
        elif isinstance(n, ast.Import):
            mods.update({a.asname or a.name: a.name.split('.')[1] for a in n.names if a.name.startswith('fastai_ch6.')})
    def dotted(e): return e.id if isinstance(e, ast.Name) else f"{dotted(e.value)}.{e.attr}" if isinstance(e, ast.Attribute) else '?'
    def module(e):
        d = dotted(e)
        return mods.get(d) or (d.split('.')[1] if d.startswith('fastai_ch6.') and d.count('.') == 1 else None)
    return sorted({f"{m}.{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith('_')
                   and not n.attr.startswith('__') and (m := module(n.value)) and m != me})

def test_no_private_helper_crosses_modules():
    "What one module shares with another is public (and documented); a private `_name` stays in the module that defines it."
    found = {p.name: _private_imports(p) + _private_attributes(p) for p in sorted((ROOT/'fastai_ch6').glob('*.py')) if p.name != '_modidx.py'}
    assert not {k: v for k, v in found.items() if v}, found

def test_the_private_import_check_can_fail(tmp_path):
    (tmp_path/'m.py').write_text("from .losses import _plain\nfrom fastai_ch6.metrics import check_multilabel, _check\n")
    assert _private_imports(tmp_path/'m.py') == ['fastai_ch6.metrics._check', 'losses._plain']
    (tmp_path/'m.py').write_text("def f(s, a):\n    from . import train as T, data\n    import fastai_ch6.metrics as M, fastai_ch6.losses\n"
                                 "    return T._summary_line(s), data._standin_dest, M._check, fastai_ch6.losses._plain, fastai_ch6.thresholds._x\n"
                                 "def g(T, a, m):\n    return T.train_task, T.__name__, a._x, m._check\n")   # public, dunder, another object: not counted
    assert _private_attributes(tmp_path/'m.py') == ['data._standin_dest', 'losses._plain', 'metrics._check', 'thresholds._x', 'train._summary_line']
    (tmp_path/'train.py').write_text("from . import train as T, data\nT._own, data._x\n")
    assert _private_attributes(tmp_path/'train.py') == ['data._x']       # a module's own private names are its own

# ---- the chapter in front: lessons 05-11 are the chapter's code, the machinery lives in its own notebooks ------------------
def test_the_chapter_lessons_are_mostly_the_chapters_code():
    "At least 85% of the code cells of lessons 05-11 use only the chapter's names (tools/chapter_cells.py says which do not)."
    from chapter_cells import chapter_share, lessons, machinery_names
    m = machinery_names(); ok = n = 0
    for f in lessons():
        a, b, _ = chapter_share(f, m); ok += a; n += b
    assert n > 300 and ok/n >= 0.85, f"{ok}/{n} chapter-only code cells: run python tools/chapter_cells.py"

def test_the_chapter_count_sees_machinery(tmp_path):
    "The count can fail: a cell that sets threads or uses the cache's lock is machinery; one that builds a DataBlock is not."
    from chapter_cells import chapter_share, machinery_names
    cells = ["dls = pascal_dls(size=64)\nlearn = vision_learner(dls, course_resnet)",
             "torch.set_num_threads(1)", "with locked(cache_dir()/'x.lock'): pass", "#| hide\nfrom fastai_ch6.core import locked"]
    (tmp_path/'05_x.ipynb').write_text(json.dumps({'cells': [{'cell_type': 'code', 'source': s} for s in cells]}))
    ok, n, hits = chapter_share(tmp_path/'05_x.ipynb', machinery_names())
    assert (ok, n) == (1, 3) and hits == [['set_num_threads'], ['cache_dir', 'locked']], (ok, n, hits)

def _module_sizes():
    "{module: (lines, exported names)} of the package's modules."
    import ast
    out = {}
    for p in sorted((ROOT/'fastai_ch6').glob('*.py')):
        if p.name.startswith('_') or p.stem == 'all': continue    # `all` re-exports the lessons' names
        tree = ast.parse(p.read_text())
        alls = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, 'id', '') == '__all__' for t in n.targets)]
        out[p.stem] = (len(p.read_text().splitlines()), len(alls[0]) if alls else 0)
    return out

def test_no_module_is_a_god_module():
    "Each module holds one concept: at most 400 lines and 25 exported names (the old train.py had 985 lines, models.py 654)."
    big = {m: s for m, s in _module_sizes().items() if s[0] > 400 or s[1] > 25}
    assert not big, big

# ---- One fact, one place: each fact of the chapter is written once in the package, and every module uses that one ----

def _literals(kind, value, root=ROOT/'fastai_ch6'):
    "'module.py:line' of each literal `value` in the package's code: a `tokenize.NUMBER` or `STRING` token (comments and words in messages do not count)."
    import ast, io, tokenize
    found = []
    for p in sorted(Path(root).glob('*.py')):
        if p.name == '_modidx.py': continue
        for t in tokenize.generate_tokens(io.StringIO(p.read_text()).readline):
            if t.type != kind: continue
            try: v = ast.literal_eval(t.string)
            except (ValueError, SyntaxError): continue                  # an f-string
            if v == value: found.append(f'{p.name}:{t.start[0]}')
    return found

def _files_with(pattern, root=ROOT/'fastai_ch6'):
    "'module.py:line' of each line of the package that matches the regular expression `pattern`."
    return [f'{p.name}:{i}' for p in sorted(Path(root).glob('*.py')) if p.name != '_modidx.py'
            for i, l in enumerate(p.read_text().splitlines(), 1) if re.search(pattern, l)]

def _written_once(found, module, start, below=0):
    "Assert that `found` (places 'module.py:line') is one place: the line `below` lines under the first of fastai_ch6/`module` that starts with `start`."
    assert len(found) == 1, found
    line = next(i for i, l in enumerate((ROOT/'fastai_ch6'/module).read_text().splitlines(), 1) if l.startswith(start))
    assert found[0] == f'{module}:{line + below}', found

def test_the_literal_scan_finds_code_not_comments(tmp_path):
    "The scan above can fail: it reports a literal in code and in a default, not in a comment, an f-string or a longer number."
    (tmp_path/'m.py').write_text("A = '13'  # '13' in a comment\ndef f(p='13', size=(640, 480)): return f\"{p}: '13'\", 6400\n")
    import tokenize
    assert _literals(tokenize.STRING, '13', tmp_path) == ['m.py:1', 'm.py:2']
    assert _literals(tokenize.NUMBER, 640, tmp_path) == ['m.py:2']

def test_the_validation_person_is_written_once():
    "Person 13 is `data.VALID_PERSON`; every default and check uses that name, so changing it changes the whole course."
    import tokenize
    _written_once(_literals(tokenize.STRING, '13'), 'data.py', 'VALID_PERSON = ')

def test_the_frame_size_is_written_once():
    "BIWI's 640×480 is `FRAME_SIZE`, defined where the stand-in draws its frames (`standins`, lesson 02) and part of `data`'s names."
    import tokenize
    for v in (640, 480): _written_once(_literals(tokenize.NUMBER, v), 'standins.py', 'FRAME_SIZE = ')
    from fastai_ch6 import data, standins
    assert data.FRAME_SIZE is standins.FRAME_SIZE == (640, 480) and 'FRAME_SIZE' in data.__all__

def test_biwi_frames_are_listed_in_one_place():
    "One function lists a BIWI dataset's frames, `data.biwi_frames`; nothing else globs for `*_rgb.jpg` or calls `get_image_files`."
    import tokenize
    globs = _literals(tokenize.STRING, '*_rgb.jpg') + _literals(tokenize.STRING, '_rgb.jpg')
    _written_once(globs, 'data.py', 'def biwi_frames', below=6)
    assert not _files_with(r'get_image_files\('), _files_with(r'get_image_files\(')

def test_biwi_frames_finds_what_get_image_files_finds(tiny_biwi):
    "The course's listing and the chapter's `get_image_files` give the same frames, in the same order once sorted."
    from fastai.data.transforms import get_image_files
    from fastai_ch6.data import biwi_frames
    assert list(biwi_frames(tiny_biwi)) == sorted(get_image_files(tiny_biwi)) and len(biwi_frames(tiny_biwi)) == 24*4

def test_jpeg_draft_decoding_is_written_once():
    "PIL's JPEG draft mode is called in `images.open_rgb` only; every other decoder passes `draft=` to it."
    _written_once(_files_with(r'\.draft\('), 'images.py', 'def open_rgb', below=5)

def test_the_f1_formula_is_written_once():
    "F1 = 2TP / (2TP + FP + FN) is `metrics.f1_from_counts`; `f1_multi` and the threshold sweep call it."
    _written_once(_files_with(r'2\s*\*\s*tp\b'), 'metrics.py', 'def f1_from_counts', below=5)

def test_the_threshold_grid_is_written_once():
    "The thresholds 0.01 ... 0.99 are `thresholds.THRESHOLDS`, which the sweep and the main job's threshold plot use."
    _written_once(_files_with(r'linspace\(\s*0?\.01'), 'thresholds.py', 'THRESHOLDS = ')

def test_the_validation_person_check_is_written_once(tiny_biwi, tmp_path):
    "Whether the validation person has frames, and someone else too, is checked by `data.check_valid_person` alone: `check_biwi` and `biwi_dls` say the same."
    import shutil, pytest
    from fastai_ch6.data import check_biwi
    from fastai_ch6.regression import biwi_dls
    assert len(_files_with(r'no frames of person')) == 1, _files_with(r'no frames of person')
    d = tmp_path/'biwi'; d.mkdir(); shutil.copytree(tiny_biwi/'13', d/'13')
    for valid_person, says in (('05', "no frames of person '05' to validate on"), ('13', 'no training people: only folder 13')):
        msgs = []
        for check in (check_biwi, biwi_dls):
            with pytest.raises(ValueError) as e: check(d, valid_person=valid_person)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1] and says in msgs[0], msgs

def _public_names():
    "{module: its __all__} for every module of the package."
    mods = sorted(p.stem for p in (ROOT/'fastai_ch6').glob('*.py') if not p.stem.startswith('_') and p.stem != 'all')
    return {m: list(importlib.import_module(f'fastai_ch6.{m}').__all__) for m in mods}

def _one_s_apart(names):
    "Pairs of `names` that differ by one letter 's' only (`check_option`/`check_options`)."
    names = sorted(set(names))
    return [(a, b) for a in names for b in names if len(b) == len(a) + 1 and any(b[i] == 's' and b[:i] + b[i+1:] == a for i in range(len(b)))]

def test_no_two_public_names_differ_by_one_s():
    "Names that say what differs: no `center_error_px` beside a `center_errors_px` for the reader to mix up."
    pairs = _one_s_apart(n for names in _public_names().values() for n in names)
    assert not pairs, pairs

def test_the_name_pair_check_can_fail():
    assert _one_s_apart(['check_option', 'check_options', 'center_error_px', 'center_errors_px', 'biwi_dls', 'biwi_dl', 'sweep']) == \
        [('biwi_dl', 'biwi_dls'), ('center_error_px', 'center_errors_px'), ('check_option', 'check_options')]

def test_what_a_module_imports_from_another_is_public():
    "A name one module imports from another is in that module's `__all__` (exported, documented), not in its private section."
    import ast
    public = _public_names()
    bad = [f'{p.name} imports {n.module}.{a.name}' for p in sorted((ROOT/'fastai_ch6').glob('*.py')) if p.stem in public
           for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module in public
           for a in n.names if a.name not in public[n.module]]
    assert not bad, bad
def test_figures_in_lesson_prose_are_printed_or_pinned():
    "Every figure a lesson's prose quotes is printed by one of its code cells or pinned by a test in it, so a re-run that moves it fails."
    from prose_numbers import lessons, unbacked, unused_allowed
    found = {p.name: unbacked(p) for p in lessons()}
    assert len(found) == 9, sorted(found)                                  # lessons 05 to 13
    assert not {k: v for k, v in found.items() if v}, found
    assert not unused_allowed(lessons()), "tools/prose_numbers.py: ALLOWED lists figures no lesson quotes any more"

def _notebook(path, cells):
    "A tiny notebook: markdown for a str, a code cell for (source, output text)."
    nb = dict(cells=[dict(cell_type='markdown', id=f'c{i}', metadata={}, source=c) if isinstance(c, str) else
                     dict(cell_type='code', id=f'c{i}', metadata={}, source=c[0], execution_count=1,
                          outputs=[dict(output_type='stream', name='stdout', text=c[1])] if c[1] else [])
                     for i, c in enumerate(cells)], metadata={}, nbformat=4, nbformat_minor=5)
    path.write_text(json.dumps(nb)); return path

def test_the_prose_check_flags_an_unbacked_figure(tmp_path):
    from prose_numbers import unbacked, main
    nb = _notebook(tmp_path/'09_x.ipynb', [
        ("err = 3.14159\nprint(f'{err:.3f} px')", "3.142 px\n"),
        ("test_close(map_ft, 0.78, eps=0.02)", ""),
        "The error is 3.14 px and the mAP 0.78: both backed. 640×480 frames, `thresh=0.35`, $\\sqrt{0.25}$, 20 classes, 5,011 images.",
        "A stale sentence: the mAP is 0.968, the error 79 px, pretraining buys +0.34 and 87% are absent.",
        "On a 2-core CPU an epoch takes 30 s, 5× faster than the book."])
    assert [t for _, _, t in unbacked(nb)] == ['0.968', '79 px', '+0.34', '87%', '30 s', '5×']
    assert {c for _, c, _ in unbacked(nb)} == {'c3', 'c4'}                     # the cell ids, to find them
    assert main([str(nb)]) == 1
    clean = _notebook(tmp_path/'10_y.ipynb', [("print(0.9681, 79.2, 0.34, 0.87)", "0.9681 79.2 0.34 0.87\n"),
                                              "The mAP is 0.968, the error 79 px, +0.34, 87% absent."])
    assert unbacked(clean) == [] and main([str(clean)]) == 0
    timed = _notebook(tmp_path/'11_z.ipynb', [("print(30, 5)", "30 5\n"), "An epoch takes 30 s, 5× faster."])
    assert [t for _, _, t in unbacked(timed)] == ['30 s', '5×']               # a machine's timing is flagged even when printed
