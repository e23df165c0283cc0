"""Give every lesson notebook its first code cell: in Colab it installs the course, anywhere else it does nothing.

Colab opens a lesson straight from GitHub, without the course installed (it is not on PyPI), so its first import would
fail. The cell installs the course from its repository, whose address is in one place, settings.ini (`git_url`,
`branch`, `lib_name`); this script writes the cell from there, and its `--check` (a test runs it) fails when a lesson's
cell differs, say after the repository moved. The cell is hidden on the documentation site (`#| hide`), where each
lesson's header says the same. It tests `'google.colab' in sys.modules` (the module Colab's kernel imports at start);
locally, under nbdev_test and while nbdev builds the docs it does nothing.

Usage: python tools/colab_cells.py          # write the cell into every lesson (nbs/NN_*.ipynb)
       python tools/colab_cells.py --check  # exit 1 if a lesson lacks it or has an older one
"""
import json, re, sys, uuid
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = '# Colab: install the course'        # how the cell is recognised

def settings(root=ROOT):
    "settings.ini's values, as nbdev reads them."
    cp = ConfigParser(delimiters=['=']); cp.read(Path(root)/'settings.ini', encoding='utf-8')
    return cp['DEFAULT']

def course_requirement(cfg, extra):
    "The pip requirement that installs the course, with `extra`, from its repository: `lib[extra] @ git+URL@branch`."
    return f"{cfg['lib_name']}[{extra}] @ git+{cfg['git_url'].rstrip('/')}@{cfg['branch']}"

def colab_cell_source(cfg):
    "The source of the first code cell of every lesson."
    return (f"#| hide\n"
            f"{MARK} (it is not on PyPI); anywhere else this cell does nothing.\n"
            f"# A notebook downloaded on its own needs the course first: pip install \"{course_requirement(cfg, 'lessons')}\"\n"
            f"import sys\n"
            f"if 'google.colab' in sys.modules:\n"
            f"    %pip install -q \"{course_requirement(cfg, 'colab')}\"")

def lessons(root=ROOT):
    "The lesson notebooks: nbs/NN_*.ipynb."
    return sorted((Path(root)/'nbs').glob('[0-9][0-9]_*.ipynb'))

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def _first_code(cells):
    return next((i for i, c in enumerate(cells) if c['cell_type'] == 'code'), None)

def with_colab_cell(nb, source):
    "The notebook with `source` as its first code cell: an earlier version of it replaced, else a new cell after the title."
    cells = nb['cells']; i = _first_code(cells)
    lines = source.splitlines(keepends=True)
    if i is not None and MARK in _src(cells[i]): cells[i]['source'] = lines; return nb
    at = 1 if cells and cells[0]['cell_type'] == 'markdown' and _src(cells[0]).startswith('# ') else 0
    cells.insert(at, {'cell_type': 'code', 'execution_count': None, 'id': uuid.uuid4().hex[:8], 'metadata': {},
                      'outputs': [], 'source': lines})
    return nb

def problems(root=ROOT):
    "[messages] for lessons whose first code cell is not today's Colab cell."
    want = colab_cell_source(settings(root)); out = []
    for f in lessons(root):
        cells = json.loads(f.read_text(encoding='utf-8'))['cells']; i = _first_code(cells)
        if i is None or _src(cells[i]) != want:
            out.append(f"{f.relative_to(root)}: its first code cell is not the Colab install cell for {settings(root)['git_url']}: "
                       "run `python tools/colab_cells.py`")
    return out

def main(argv):
    if '--check' in argv:
        bad = problems()
        print('\n'.join(bad)) if bad else None
        return 1 if bad else 0
    src = colab_cell_source(settings())
    for f in lessons():
        nb = json.loads(f.read_text(encoding='utf-8'))
        f.write_text(json.dumps(with_colab_cell(nb, src), indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
