"""The main job's Python API (issue "the chapter in front, the machinery behind it"): what a learner knows about its run is
one `RunInfo` (`learn.ch6`), read directly, never through `getattr` with a default; `train_task`, `evaluate` and `predict`
take their options by name, and the command line and the demo pass them so; each task has its own sample option,
`n_items` (rows of train.csv, multi-label) and `per_person` (frames of each person, regression), recorded under its own name."""
import ast, json, re
from pathlib import Path
import pytest
from conftest import ch6_here
import fastai_ch6

PKG = Path(fastai_ch6.__file__).parent          # the package under test, wherever it is imported from
FORMER = ('ch6_task', 'ch6_run_id', 'ch6_config', 'ch6_thresh', 'ch6_epoch0', 'ch6_n_epoch', 'ch6_frozen')

def test_a_run_s_facts_are_one_run_info_not_attributes_read_with_defaults():
    "No module sets or reads the former `ch6_*` attributes (but the one that loads a model.pkl saved with them), nor `getattr(learn, 'ch6...', default)`."
    files = sorted(PKG.glob('*.py')); assert len(files) > 10
    for f in files:
        src = f.read_text()
        assert not re.search(r"getattr\([^)]*'ch6", src), f.name
        uses = [n for n in FORMER if re.search(rf"\.{n}\b", src)]
        assert not uses, (f.name, uses)
        if f.name != 'inference.py': assert not any(f"'{n}'" in src for n in FORMER), f.name   # the loader of older pickles names them once

def test_a_learner_of_the_main_job_carries_its_run_info(tiny):
    from fastai_ch6.runs import RunInfo
    from fastai_ch6.learners import task_learner
    learn = task_learner('multilabel', tiny, arch='small', size=32)
    assert isinstance(learn.ch6, RunInfo) and learn.ch6 == RunInfo('multilabel')
    assert not [k for k in vars(learn) if k.startswith('ch6_')]

def test_train_task_evaluate_and_predict_take_their_options_by_name(tmp_path):
    "A positional option is refused at the call, before any work: `train_task(task, data, out, 3, 1e-2)` no longer means epochs=3, lr=1e-2."
    from fastai_ch6.train import train_task
    from fastai_ch6.inference import evaluate, predict
    for call in (lambda: train_task('multilabel', tmp_path/'none', tmp_path/'out', 1, 1e-2),
                 lambda: evaluate(tmp_path/'none', tmp_path/'data', 'all'),
                 lambda: predict(tmp_path/'none', [tmp_path/'x.jpg'], 8)):
        with pytest.raises(TypeError, match='positional argument'): call()
    assert not (tmp_path/'out').exists()

@pytest.mark.parametrize('module', ['cli.py', 'demo.py'])
def test_the_command_line_and_the_demo_pass_options_by_name(module):
    "In cli.py and demo.py, `train_task`, `evaluate` and `predict` get their first argument (the task, the model) by position and every other one by name."
    calls = [c for c in ast.walk(ast.parse((PKG/module).read_text()))
             if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in ('train_task', 'evaluate', 'predict')]
    assert calls
    for c in calls: assert len(c.args) <= 1, (module, c.func.id, c.lineno, len(c.args))

def test_a_regression_run_samples_frames_per_person_and_records_per_person(tiny_biwi, tmp_path):
    out = tmp_path/'reg'
    r = ch6_here('train', 'regression', '--lr', '1e-2', '--data', tiny_biwi, '--out', out, '--epochs', 1, '--size', 32, '--bs', 8,
                 '--arch', 'small', '--threads', 1, '--per-person', 2)
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = json.loads((out/'train_config.json').read_text())
    assert cfg['per_person'] == 2 and 'n_items' not in cfg, cfg
    assert json.loads((out/'summary.json').read_text())['n_valid'] == 2          # person 13: its first 2 frames of 4

def test_the_other_task_s_sample_option_is_refused_before_any_work(tiny, tiny_biwi, tmp_path):
    from fastai_ch6.train import train_task
    from fastai_ch6.learners import task_dls
    with pytest.raises(ValueError, match=r"n_items=10: a sample of rows of train.csv is for the multilabel task.*per_person=10"):
        train_task('regression', tiny_biwi, tmp_path/'reg', n_items=10, lr=1e-2)
    with pytest.raises(ValueError, match=r"per_person=10: frames per person are for the regression task.*n_items=10"):
        train_task('multilabel', tiny, tmp_path/'ml', per_person=10, lr=1e-2)
    assert not any(tmp_path.iterdir())                                          # nothing written
    with pytest.raises(ValueError, match='per_person=3: frames per person'): task_dls('multilabel', tiny, per_person=3)
