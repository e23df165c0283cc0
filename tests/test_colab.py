"""Colab: every lesson's first code cell installs the course there, and only there (tools/colab_cells.py writes it
from settings.ini). Colab itself cannot be reached from here, so the cell runs in a real IPython shell in a
subprocess that looks like Colab where it matters: a `google.colab` module in sys.modules (what Colab's kernel
imports at start), and a stub pip (a `pip` module first on PYTHONPATH, which `%pip`'s `python -m pip` runs, and a
`pip` command first on PATH) that records what it was asked to install instead of installing it."""
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from colab_cells import colab_cell_source, course_requirement, lessons, problems, settings, MARK

def _first_code(nb_path):
    cells = json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']
    c = next(c for c in cells if c['cell_type'] == 'code')
    return ''.join(c['source'])

# Runs a cell's source (argv[1]) as a notebook would: in IPython's own shell (`as_colab`: after a google.colab module
# was put in sys.modules), or in execnb's CaptureShell, which nbdev_test runs notebooks with.
RUNNER = r'''
import sys, types
mode, source = sys.argv[1], open(sys.argv[2]).read()
if mode == 'colab':
    sys.modules['google'] = types.ModuleType('google'); sys.modules['google.colab'] = types.ModuleType('google.colab')
if mode == 'nbdev_test':
    from execnb.shell import CaptureShell
    sh = CaptureShell(); sh.run(source)
    sys.exit(1 if sh.exc else 0)
from IPython.core.interactiveshell import InteractiveShell
r = InteractiveShell.instance().run_cell(source)
sys.exit(0 if r.success else 1)
'''

STUB = 'import json, os, sys\nwith open(os.environ["PIP_RECORD"], "a") as f: f.write(json.dumps(sys.argv[1:]) + "\\n")\n'

def _run_cell(source, mode, tmp_path):
    "Run `source` in a subprocess in `mode` ('colab', 'local', 'nbdev_test') with pip stubbed; the pip calls it made."
    stub = tmp_path/'stub'; (stub/'pip').mkdir(parents=True, exist_ok=True); (stub/'bin').mkdir(exist_ok=True)
    (stub/'pip'/'__init__.py').write_text(''); (stub/'pip'/'__main__.py').write_text(STUB)
    cmd = stub/'bin'/'pip'; cmd.write_text(f'#!{sys.executable}\n' + STUB); cmd.chmod(0o755)
    record = tmp_path/f'pip-{mode}.jsonl'; record.unlink(missing_ok=True)
    (tmp_path/'cell.py').write_text(source); (tmp_path/'runner.py').write_text(RUNNER)
    env = {**os.environ, 'PIP_RECORD': str(record), 'PATH': f"{stub/'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           'PYTHONPATH': os.pathsep.join([str(stub), os.environ.get('PYTHONPATH', '')])}
    r = subprocess.run([sys.executable, str(tmp_path/'runner.py'), mode, str(tmp_path/'cell.py')], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"the cell failed ({mode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return [json.loads(l) for l in record.read_text().splitlines()] if record.exists() else []

def test_every_lesson_starts_with_the_colab_cell():
    "Each lesson's first code cell is the one tools/colab_cells.py writes from settings.ini's repository URL."
    assert lessons(), "no lessons found in nbs/"
    assert not problems(), '\n'.join(problems())

def test_the_lesson_check_fails_when_the_repository_moves(tmp_path):
    "With another git_url in settings.ini, every lesson's cell is out of date: the URL lives in settings.ini alone."
    (tmp_path/'nbs').mkdir()
    for f in lessons(): (tmp_path/'nbs'/f.name).symlink_to(f)
    text = (ROOT/'settings.ini').read_text(encoding='utf-8')
    (tmp_path/'settings.ini').write_text(re.sub(r'(?m)^user\s*=.*$', 'user = someone-else', text), encoding='utf-8')
    assert len(problems(tmp_path)) == len(lessons())
    assert 'someone-else' in colab_cell_source(settings(tmp_path)) and 'someone-else' not in colab_cell_source(settings())

def test_in_colab_the_cell_installs_the_course(tmp_path):
    cfg = settings()
    calls = _run_cell(_first_code(lessons()[0]), 'colab', tmp_path)
    assert calls == [['install', '-q', course_requirement(cfg, 'colab')]], calls
    assert course_requirement(cfg, 'colab') == f"{cfg['lib_name']}[colab] @ git+{cfg['git_url']}@{cfg['branch']}"

@pytest.mark.parametrize('mode', ['local', 'nbdev_test'])
def test_outside_colab_the_cell_does_nothing(tmp_path, mode):
    assert _run_cell(_first_code(lessons()[0]), mode, tmp_path) == []

@pytest.mark.parametrize('mode', ['local', 'nbdev_test'])
def test_the_stub_pip_records_a_call(tmp_path, mode):
    "The stubs see a pip call when there is one: a cell that always installs is recorded, outside Colab too."
    assert _run_cell('%pip install -q something', mode, tmp_path) == [['install', '-q', 'something']]
    assert _run_cell('!pip install other', mode, tmp_path) == [['install', 'other']]

def test_a_downloaded_lesson_says_to_install_the_course():
    "A lesson downloaded on its own says at its top how to install the course (the `lessons` extra, from settings.ini)."
    need = f'pip install "{course_requirement(settings(), "lessons")}"'
    bad = [f.name for f in lessons() if need not in _first_code(f)]
    assert not bad, f"these lessons do not say `{need}` at their top: {bad}"

def test_nbdev_yml_takes_the_repository_from_settings():
    "nbs/nbdev.yml (Quarto's site settings, which nbdev writes from settings.ini) names the same repository."
    import yaml
    site = yaml.safe_load((ROOT/'nbs'/'nbdev.yml').read_text())
    assert site['website']['repo-url'] == settings()['git_url'], (site['website']['repo-url'], settings()['git_url'])

def repository_mentions(text, cfg):
    "Every address of the course's repository in `text` (GitHub, with or without .git, or through Colab) that is not settings.ini's."
    owner_repo = cfg['git_url'].rstrip('/').split('github.com/')[-1]
    pat = rf'(?:github\.com|colab\.research\.google\.com/github)/([\w.-]+/{re.escape(cfg["lib_name"])})(?:\.git)?\b'
    return [m.group(0) for m in re.finditer(pat, text) if m.group(1) != owner_repo]

def test_the_repository_address_lives_in_settings_ini():
    "The notebooks (the front page's `git clone`, each lesson's Colab cell), nbs/*.yml and the README name settings.ini's repository."
    cfg = settings()
    files = [*sorted((ROOT/'nbs').glob('*.ipynb')), *sorted((ROOT/'nbs').glob('*.yml')), ROOT/'README.md']
    bad = {f.name: m for f in files if (m := repository_mentions(f.read_text(encoding='utf-8'), cfg))}
    assert not bad, f"addresses of the course's repository that are not settings.ini's git_url ({cfg['git_url']}): {bad}"
    assert repository_mentions(f"git clone https://github.com/someone-else/{cfg['lib_name']}.git", cfg)    # the check can fail
    index = (ROOT/'nbs'/'index.ipynb').read_text(encoding='utf-8')
    assert f"git clone {cfg['git_url']}.git" in index, "the front page has no `git clone` of settings.ini's repository"
