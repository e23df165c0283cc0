"""How much of each chapter lesson is the chapter: the share of its code cells that use only the chapter's names.

A code cell is *machinery* when it uses a name of the course's machinery modules (the cache, speed, stand-in drawing,
pictures cache, pretraining, runs and the main job) or a standard-library tool of infrastructure (threads, sockets,
ctypes, md5 digests, subprocesses, locks); otherwise it is the chapter's: the data block, losses, metrics, thresholds,
regression, the networks, fastai, PyTorch, pandas, and `pascal_2007`/`biwi_head_pose` (the course's `untar_data`).
Cells that only set up a notebook (`#| hide`, `#| default_exp`, `#| export` of imports) are not counted.

Usage: python tools/chapter_cells.py [NOTEBOOK...]   # default: the chapter lessons, nbs/05_*.ipynb to nbs/11_*.ipynb
"""
import ast, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ('data', 'datablock', 'losses', 'models', 'metrics', 'thresholds', 'regression')
MACHINERY = ('core', 'speed', 'standins', 'sources', 'images', 'pretrain', 'runs', 'learners', 'train', 'inference', 'demo', 'cli')
DATASETS = {'pascal_2007', 'biwi_head_pose'}                       # the chapter's `untar_data(URLs...)`, as the course spells it
INFRA = {'socket', 'threading', 'ctypes', 'hashlib', 'subprocess', 'fcntl', 'multiprocessing', 'concurrent', 'resource',
         'set_num_threads', 'get_num_threads', 'perf_counter', 'mallopt', 'draft'}

def exported_names(module, root=ROOT):
    "The names `fastai_ch6.<module>` defines at its top level (public or not), read from its source."
    f = Path(root)/'fastai_ch6'/f'{module}.py'
    if not f.exists(): return set()
    tree = ast.parse(f.read_text()); out = set()
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)): out.add(n.name)
        elif isinstance(n, ast.Assign): out |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return out - {'__all__'}

def public_names(module, root=ROOT):
    "The names in `fastai_ch6.<module>.__all__` (a chapter module may re-export a fact it shares, such as `FRAME_SIZE`)."
    f = Path(root)/'fastai_ch6'/f'{module}.py'
    if not f.exists(): return set()
    for n in ast.parse(f.read_text()).body:
        if isinstance(n, ast.Assign) and any(getattr(t, 'id', '') == '__all__' for t in n.targets):
            try: return set(ast.literal_eval(n.value))
            except ValueError: return set()
    return set()

def machinery_names(root=ROOT):
    chapter = set().union(*(exported_names(m, root) | public_names(m, root) for m in CHAPTER))
    return (set().union(*(exported_names(m, root) for m in MACHINERY)) - chapter - DATASETS) | INFRA

def _is_setup(src):
    s = src.lstrip()
    return s.startswith(('#| hide', '#| default_exp', '#|hide')) or (s.startswith('#| export') and all(
        l.startswith(('import ', 'from ', '#')) or not l.strip() for l in s.splitlines()[1:]))

def cell_names(src):
    "Identifiers a cell uses (names, attributes, imported names); magics and shell lines are skipped."
    code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
    try: tree = ast.parse(code)
    except SyntaxError: return set()
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name): out.add(n.id)
        elif isinstance(n, ast.Attribute) and n.attr in INFRA: out.add(n.attr)   # `learn.predict` is not `inference.predict`
        elif isinstance(n, ast.alias): out.add((n.asname or n.name).split('.')[-1]); out.update(n.name.split('.'))
        elif isinstance(n, ast.ImportFrom) and n.module: out.update(n.module.split('.'))
    return out

def chapter_share(nb_file, machinery=None):
    "(chapter-only code cells, counted code cells, [machinery names per machinery cell]) of one notebook."
    machinery = machinery_names() if machinery is None else machinery
    cells = [''.join(c['source']) for c in json.loads(Path(nb_file).read_text())['cells'] if c['cell_type'] == 'code']
    counted = [s for s in cells if s.strip() and not _is_setup(s)]
    hits = [sorted(cell_names(s) & machinery) for s in counted]
    return sum(not h for h in hits), len(counted), [h for h in hits if h]

def lessons(root=ROOT):
    return [f for f in sorted((Path(root)/'nbs').glob('[0-9][0-9]_*.ipynb')) if 5 <= int(f.name[:2]) <= 11]

if __name__ == '__main__':
    files = [Path(a) for a in sys.argv[1:]] or lessons()
    m = machinery_names(); tot = [0, 0]
    for f in files:
        ok, n, hits = chapter_share(f, m); tot[0] += ok; tot[1] += n
        print(f"{f.name:24} {ok:4d}/{n:<4d} {ok/max(n,1):6.1%}   machinery: {', '.join(sorted({x for h in hits for x in h}))[:150]}")
    print(f"{'all':24} {tot[0]:4d}/{tot[1]:<4d} {tot[0]/max(tot[1],1):6.1%}")
