"""The main job's promises about the user's things and bad options (issues 9 and 14), each through the `ch6` command on
a tiny stand-in: options refused before work starts, one run per output folder, runs never mixed, nothing left by a failed
start, no code run from a checkpoint, real JSON, each real file predicted once. Most calls run the command's `main` in
this process (`ch6_here`); a running job that holds a folder, a kill, import-time checks and warnings shown once per
process use the installed command in a real subprocess (`ch6`, `CH6`)."""
import json, os, pickle, shutil, subprocess, sys, time
from pathlib import Path
import pandas as pd, pytest
from conftest import CH6, ch6, ch6_here

def _one_line_error(r, *expect):
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert 'Traceback' not in r.stderr and all(e in r.stderr for e in expect), r.stderr[-2000:]

def test_options_are_checked_before_anything_heavy_is_imported():
    code = ("import sys\nfrom fastai_ch6 import cli\n"
            "for argv in (['--help'], ['train', 'multilabel', '--lr', '1e-2', '--epochs', '0']):\n"
            "    try: cli.main(argv)\n    except SystemExit: pass\n"
            "print('torch' in sys.modules, 'fastai' in sys.modules)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == 'False False', r.stdout + r.stderr

@pytest.mark.parametrize('args,expect', [
    (['train', 'multilabel', '--epochs', '0'], 'epochs=0: train for at least 1 epoch'),
    (['train', 'multilabel', '--epochs', '-1'], 'epochs=-1'),
    (['train', 'multilabel', '--bs', '0'], 'bs=0'),
    (['train', 'multilabel', '--lr', '0'], 'lr=0'),
    (['train', 'multilabel', '--lr', '-1'], 'lr=-1'),
    (['train', 'regression', '--lr', 'nan'], 'lr=nan'),
    (['train', 'multilabel', '--size', '1'], 'size=1'),
    (['train', 'multilabel', '--epochs', 'ten'], "'ten' is not a number"),
    (['predict', 'm', 'x.jpg', '--thresh', '2'], 'thresh=2'),
    (['train', 'multilabel', '--valid-person', '05'], '--valid-person is for the regression task'),
    (['train', 'regression', '--n-items', '10'], '--n-items is for the multilabel task: regression samples frames of each person with --per-person'),
    (['train', 'multilabel', '--per-person', '10'], '--per-person is for the regression task: multilabel samples rows of train.csv with --n-items'),
    (['train', 'regression', '--per-person', '0'], 'per-person=0: a sample needs at least 1 frame of each person'),
])
def test_impossible_options_are_refused_in_one_line(args, expect, tmp_path):
    r = ch6_here(*args, cwd=tmp_path)
    _one_line_error(r, expect)
    assert not any(tmp_path.iterdir())                                   # no work started, nothing written

def test_batch_larger_than_the_training_set_is_refused_and_leaves_nothing(tiny, tmp_path):
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/'o', '--bs', 500)
    _one_line_error(r, 'bs=500 is larger than the 80 training images')
    assert not (tmp_path/'o').exists()                                   # a plain re-run works: nothing to --overwrite

def test_same_seed_gives_the_same_run(tiny, tmp_path):
    for o in ('a', 'b'):
        r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/o, '--epochs', 1, '--seed', 3, '--threads', 1)
        assert r.returncode == 0, r.stderr[-3000:]
    a, b = (pd.read_csv(tmp_path/o/'metrics.csv').drop(columns=['time', 'run_id']) for o in 'ab')   # each run has its own id
    pd.testing.assert_frame_equal(a, b)
    ta, tb = (json.loads((tmp_path/o/'thresholds.json').read_text()) for o in 'ab')
    assert ta['thresh'] == tb['thresh'] and ta['per_class'] == tb['per_class']
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/'c', '--epochs', 1, '--seed', 4, '--threads', 1)
    assert r.returncode == 0, r.stderr[-3000:]
    c = pd.read_csv(tmp_path/'c'/'metrics.csv').drop(columns=['time', 'run_id'])
    assert list(c.columns) == list(a.columns) and len(c) == len(a) and not c.equals(a)   # the control: another seed, another run
    tc = json.loads((tmp_path/'c'/'thresholds.json').read_text())
    assert tc['per_class'] != ta['per_class']

def test_a_second_run_into_a_busy_folder_is_refused(tiny, tmp_path):
    out = tmp_path/'busy'
    p = subprocess.Popen([CH6, 'train', 'multilabel', '--lr', '1e-2', '--data', str(tiny), '--out', str(out), '--epochs', '30'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not (out/'train_config.json').exists() and time.time() < deadline: time.sleep(.2)
        config = (out/'train_config.json').read_text()
        r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, '--seed', 2, '--overwrite')
        _one_line_error(r, 'another run is writing to this folder')
        assert (out/'train_config.json').read_text() == config          # the running job's files are untouched
    finally: p.kill(); p.wait()

def test_an_interrupted_overwrite_leaves_the_old_complete_run_usable(run, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(run, out)
    before = ch6_here('predict', out, tiny/'test').stdout
    p = subprocess.Popen([CH6, 'train', 'multilabel', '--lr', '1e-2', '--data', str(tiny), '--out', str(out), '--epochs', '30', '--overwrite'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        old = (out/'train_config.json').read_text(); deadline = time.time() + 300
        while (out/'train_config.json').read_text() == old and time.time() < deadline: time.sleep(.2)
    finally: p.kill(); p.wait()
    assert (out/'train_config.json').read_text() != old                 # the new run had started
    r = ch6_here('predict', out, tiny/'test')
    assert r.returncode == 0 and r.stdout == before, r.stderr[-2000:]   # the old model with its own threshold

def test_files_of_two_runs_are_never_used_together(run, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(run, out)
    info = json.loads((out/'model.json').read_text())
    (out/'model.json').write_text(json.dumps({**info, 'thresh': 0.9, 'run_id': 'another-run'}))   # as a killed --overwrite leaves it
    _one_line_error(ch6_here('predict', out, tiny/'test'), 'model.pth and model.json come from different runs')
    (out/'model.json').write_text(json.dumps(info))
    th = json.loads((out/'thresholds.json').read_text())
    (out/'thresholds.json').write_text(json.dumps({**th, 'thresh': 0.9, 'run_id': 'another-run'}))
    _one_line_error(ch6_here('predict', out, tiny/'test', '--trust-pickle'), 'thresholds.json: written by another run')
    (out/'summary.json').unlink()                                         # a run that never finished
    _one_line_error(ch6_here('evaluate', out, '--data', tiny), 'do not come from the same finished run')

def test_a_hostile_checkpoint_is_refused_without_running_it(run, tiny, tmp_path):
    out, marker = tmp_path/'ml', tmp_path/'pwned'
    out.mkdir(); shutil.copy(run/'train_config.json', out)              # a run's settings, so that resuming reads the checkpoint
    class Hostile:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    (out/'checkpoint.pth').write_bytes(pickle.dumps({'model': Hostile(), 'opt': {}, 'epoch': 0, 'n_epoch': 2}))
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, '--resume')
    _one_line_error(r, 'not a checkpoint of ours')
    assert not marker.exists()

def test_a_hostile_model_pkl_is_never_unpickled_unless_trusted(run, tiny, tmp_path):
    out, marker = tmp_path/'ml', tmp_path/'pwned'
    shutil.copytree(run, out)
    class Hostile:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    (out/'model.pkl').write_bytes(pickle.dumps(Hostile()))
    for cmd in (['predict', out, tiny/'test'], ['evaluate', out, '--data', tiny]):
        r = ch6_here(*cmd)
        assert r.returncode == 0 and not marker.exists(), r.stderr[-2000:]   # the weights were loaded, not the pickle
    (out/'model.pth').unlink()
    _one_line_error(ch6_here('predict', out, tiny/'test'), 'a pickle that can run code', '--trust-pickle')
    assert not marker.exists()

def test_a_trusted_pickle_loads_with_fastais_warning_shown(run, tiny):
    safe = ch6_here('predict', run, tiny/'test')
    r = ch6('predict', run, tiny/'test', '--trust-pickle')          # a real process: import-time warnings show there once
    assert r.returncode == 0 and r.stdout == safe.stdout, r.stderr[-2000:]     # the same predictions either way
    assert 'insecure pickle' in r.stderr and 'Only load files you trust' in r.stderr and 'pickle' not in safe.stderr
    assert 'warnings.warn' not in r.stderr and 'FutureWarning' not in r.stderr + safe.stderr   # one line, no import noise
    assert 'source you trust' in ch6_here('predict', '--help').stdout

def test_json_predictions_are_real_json_with_the_threshold(run, tiny, tmp_path):
    r = ch6_here('predict', run, tiny/'test', '--to', tmp_path/'p.json')
    assert r.returncode == 0, r.stderr[-2000:]
    text = (tmp_path/'p.json').read_text()
    recs = json.loads(text)
    assert len(recs) == 12 and '\\/' not in text
    th = json.loads((run/'thresholds.json').read_text())['thresh']
    for rec in recs:
        assert isinstance(rec['labels'], list) and len(rec['probabilities']) == 20 and rec['thresh'] == round(th, 4)
        assert rec['labels'] == [c for c, p in rec['probabilities'].items() if p > th]

def test_predict_visits_each_real_file_once_through_link_loops(run, tiny, tmp_path):
    d = tmp_path/'imgs'; d.mkdir()
    for f in sorted((tiny/'test').glob('*.jpg'))[:3]: shutil.copy(f, d/f.name)
    (d/'loop').symlink_to(d, target_is_directory=True)
    (d/'again.jpg').symlink_to(d/sorted(p.name for p in d.glob('*.jpg'))[0])
    r = ch6_here('predict', run, d, '--to', tmp_path/'p.csv')
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(pd.read_csv(tmp_path/'p.csv')) == 3

@pytest.mark.parametrize('where', ['out_below_a_file', 'to_a_folder', 'to_the_models_own_file'])
def test_unusable_output_paths_get_one_line(where, run, tiny, tmp_path):
    (tmp_path/'afile').write_text('mine')
    args = {'out_below_a_file': ['train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/'afile'/'run'],
            'to_a_folder': ['predict', run, tiny/'test', '--to', tmp_path],
            'to_the_models_own_file': ['predict', run, tiny/'test', '--to', run/'metrics.csv', '--overwrite']}[where]
    before = (run/'metrics.csv').read_bytes()
    _one_line_error(ch6_here(*args))
    assert (tmp_path/'afile').read_text() == 'mine' and (run/'metrics.csv').read_bytes() == before

def test_evaluate_without_validation_rows_says_so(run, tiny, tmp_path):
    d = tmp_path/'voc'; shutil.copytree(tiny, d)
    df = pd.read_csv(d/'train.csv'); df['is_valid'] = False; df.to_csv(d/'train.csv', index=False)
    _one_line_error(ch6_here('evaluate', run, '--data', d), 'no rows with is_valid true', '--split all')

def test_tests_use_a_temporary_cache(run, tiny, monkeypatch):
    "The package's cache is conftest's temporary folder, and what a test built there (the resized copy of `tiny` that `run` trained on) is not in the user's cache."
    from fastai_ch6.core import cache_dir
    temp = Path(os.environ['FASTAI_CH6_CACHE'])
    assert temp.name.startswith('fastai_ch6-test-cache-') and cache_dir() == temp
    names = {f.name for f in (tiny/'train').iterdir()}
    made = {p.relative_to(temp).parts[0] for p in temp.rglob('*.jpg') if p.name in names}   # folders under the cache holding copies of tiny's pictures
    assert made, sorted(p.name for p in temp.iterdir())
    monkeypatch.delenv('FASTAI_CH6_CACHE'); default = cache_dir()
    assert default != temp and not temp.is_relative_to(default) and not any((default/m).exists() for m in made)

def test_a_diverged_training_stops_and_exports_nothing(tiny_biwi, tmp_path):
    r = ch6_here('train', 'regression', '--data', tiny_biwi, '--out', tmp_path/'reg', '--epochs', 3, '--lr', 1e12, '--bs', 8)
    _one_line_error(r, 'training diverged', 'lower --lr')
    assert not (tmp_path/'reg'/'model.pkl').exists() and not (tmp_path/'reg'/'summary.json').exists()

def test_a_log_gets_one_line_per_epoch(tiny, tmp_path):
    r = ch6_here('train', 'multilabel', '--arch', 'course_resnet', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/'ml', '--epochs', 3)   # stdout is not a terminal, as in a log or CI
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith('epoch ')]
    assert [l.split(':')[0] for l in lines] == ['epoch 1/4 (body frozen)', 'epoch 2/4', 'epoch 3/4', 'epoch 4/4'] and 'valid_loss' in lines[0]
    assert '\r' not in r.stdout + r.stderr and '█' not in r.stdout + r.stderr            # no redrawn progress bars

def test_resuming_with_the_other_tasks_checkpoint_says_so(run, tiny_biwi, tmp_path):
    out = tmp_path/'reg'; out.mkdir()
    for f in ('checkpoint.pth', 'train_config.json'): shutil.copy(run/f, out/f)
    r = ch6_here('train', 'regression', '--lr', '1e-2', '--data', tiny_biwi, '--out', out, '--epochs', 2, '--resume', '--bs', 16)
    _one_line_error(r, 'a run of the multilabel task, not regression', 'Resume with the same task')

def test_a_damaged_metrics_file_is_named_on_resume(tiny, tmp_path):
    out = tmp_path/'ml'
    assert ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1).returncode == 0
    cfg = json.loads((out/'train_config.json').read_text()); cfg['epochs'] = 2
    (out/'train_config.json').write_text(json.dumps(cfg)); (out/'metrics.csv').write_bytes(b'\x00\xff garbage')
    _one_line_error(ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 2, '--resume'), 'metrics.csv: cannot read')

def test_a_kill_between_checkpoint_and_metrics_loses_no_row(tmp_path, monkeypatch):
    "An epoch's metrics row is on disk before its checkpoint: a kill right after the checkpoint leaves the row there too."
    import torch
    from fastai.vision.all import Learner, DataLoaders, nn, BCEWithLogitsLossFlat, set_seed
    from fastai_ch6.runs import EpochCheckpoint
    from fastai_ch6.train import MetricsCSV
    save = EpochCheckpoint.after_epoch
    def save_then_die(self):
        save(self)
        if self.epoch == 1: raise KeyboardInterrupt                # killed just after the checkpoint of epoch 2
    monkeypatch.setattr(EpochCheckpoint, 'after_epoch', save_then_die)
    set_seed(0); x = torch.randn(32, 4); y = (x.sum(1, keepdim=True) > 0).float()
    dls = DataLoaders.from_dsets(list(zip(x, y)), list(zip(x, y)), bs=8, device='cpu')
    learn = Learner(dls, nn.Linear(4, 1), loss_func=BCEWithLogitsLossFlat())
    with learn.no_bar(), learn.no_logging(), pytest.raises(KeyboardInterrupt):
        learn.fit(3, 1e-2, cbs=[EpochCheckpoint(tmp_path/'ck.pth'), MetricsCSV(tmp_path/'metrics.csv')])
    assert torch.load(tmp_path/'ck.pth', weights_only=True)['epoch'] == 1
    assert pd.read_csv(tmp_path/'metrics.csv').epoch.tolist() == [0, 1]

def test_damaged_model_files_are_named(run, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(run, out)
    (out/'model.json').write_text('{ damaged')
    _one_line_error(ch6_here('predict', out, tiny/'test'), 'model.json: not readable JSON')
    (out/'thresholds.json').write_text('{ damaged')
    _one_line_error(ch6_here('predict', out, tiny/'test', '--trust-pickle'), 'thresholds.json: not readable JSON')

def test_default_threads_sees_other_busy_programs():
    "Two busy processes beside us: busy_cores counts them (not the lagging load average), and default_threads backs off to one."
    import subprocess, sys, time
    from fastai_ch6.speed import busy_cores, default_threads
    spin = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]
    try:
        time.sleep(0.5)
        assert busy_cores() >= 1.5
        assert default_threads(cpus=2) == 1
    finally:
        for p in spin: p.kill()
