"""Runs never mix and never touch what is not theirs (issue 31): an interrupted `--overwrite` leaves the earlier run as it
was and cannot be resumed into it, a user's model pair and a model's own files are never replaced, lr_find writes nothing
into the current folder or the dataset, a resumed run continues the same optimisation, `ch6 demo` refuses before it
trains, and an overwrite leaves no file of the earlier run. Kills and Ctrl-C go to a real `ch6` process; the rest runs
the command's `main` in this process (`ch6_here`)."""
import json, os, shutil, signal, subprocess, time
from pathlib import Path
import pandas as pd, pytest, torch
from conftest import CH6, ch6, ch6_here

FAST = ('--size', 32, '--arch', 'small', '--threads', 1)

def _one_line_error(r, *expect):
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    assert all(e in r.stderr for e in expect), r.stderr[-2000:]

def _files(folder):
    "Every file below `folder` (but the lock) with its bytes: what a run must leave as it was."
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob('*')) if p.is_file() and p.name != '.ch6.lock'}

def _tree(folder):
    "Every path below `folder` with its modification time."
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(Path(folder).rglob('*'))}

@pytest.fixture(scope='module')
def finished(tiny, tmp_path_factory):
    "One finished multi-label run at 32 px."
    out = tmp_path_factory.mktemp('runs')/'ml'
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    return out

def _start(*args, cwd=None):
    "A real `ch6` process whose output we read line by line."
    return subprocess.Popen([CH6, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)

def _wait_for_line(p, start):
    "Read `p`'s output until a line starting with `start`; the lines read."
    lines = []
    for line in p.stdout:
        lines.append(line)
        if line.startswith(start): return lines
    raise AssertionError(f"the run ended before printing {start!r}: {''.join(lines)[-2000:]} {p.stderr.read()[-2000:]}")

# 1 and 19: an interrupted overwrite
@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_overwrite_is_never_resumed_into_the_earlier_run(sig, finished, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(finished, out)
    before, preds = _files(out), ch6_here('predict', out, tiny/'test').stdout
    new = ('train', 'multilabel', '--data', tiny, '--out', out, '--epochs', 2, '--size', 48, '--arch', 'small', '--threads', 1, '--bs', 2)
    p = _start(*new, '--overwrite')                                   # no --lr: lr_find, then a first epoch of 40 batches
    try:
        _wait_for_line(p, 'lr_find suggests'); time.sleep(.3)          # in its first epoch (earlier code had rewritten train_config.json)
        p.send_signal(sig); _, err = p.communicate(timeout=300)
    finally: p.kill(); p.wait()
    if sig == signal.SIGINT:
        assert p.returncode == 130 and len(err.strip().splitlines()) == 1, err[-2000:]
        assert 'is saved' not in err and 'nothing of this run was kept' in err and 'still holds the earlier results' in err, err
    assert _files(out) == before                                      # the earlier run, every file as it was
    assert ch6_here('predict', out, tiny/'test').stdout == preds
    _one_line_error(ch6_here(*new, '--resume'), 'resume with the same settings')   # never continued with other settings
    assert _files(out) == before

def test_a_checkpoint_of_another_run_is_not_resumed(finished, tiny, tmp_path):
    a, b = tmp_path/'a', tmp_path/'b'; shutil.copytree(finished, a)
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', b, '--epochs', 1, *FAST)
    assert r.returncode == 0, r.stderr[-2000:]
    shutil.copy(a/'checkpoint.pth', b/'checkpoint.pth')                # same settings, another run
    before = _files(b)
    _one_line_error(ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', b, '--epochs', 1, *FAST, '--resume'),
                    'checkpoint.pth', 'another run')
    assert _files(b) == before

def test_a_checkpoint_without_a_run_id_is_not_resumed(finished, tiny, tmp_path):
    "Every checkpoint of ours records its run; one without is refused like another run's, never adopted."
    out = tmp_path/'ml'; shutil.copytree(finished, out)
    state = torch.load(out/'checkpoint.pth', weights_only=True); del state['run_id']; torch.save(state, out/'checkpoint.pth')
    before = _files(out)
    _one_line_error(ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, *FAST, '--resume'),
                    'checkpoint.pth', 'without a run id', '--overwrite')
    assert _files(out) == before

@pytest.mark.parametrize('key', ['keep_frozen', 'run_id'])
def test_a_run_whose_settings_lack_a_key_is_not_resumed(key, finished, tiny, tmp_path):
    "train_config.json without `keep_frozen` is not read as keep_frozen=0, and without its run id the checkpoint cannot be matched: both refused."
    out = tmp_path/'ml'; shutil.copytree(finished, out)
    cfg = json.loads((out/'train_config.json').read_text()); del cfg[key]; (out/'train_config.json').write_text(json.dumps(cfg))
    before = _files(out)
    expect = 'resume with the same settings' if key == 'keep_frozen' else "train_config.json: missing, or without the run's id"
    _one_line_error(ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, *FAST, '--resume'), expect)
    assert _files(out) == before

def test_metrics_of_another_run_are_not_kept_on_resume(tmp_path):
    "A kill between an epoch's metrics row and its checkpoint: the resumed run keeps only its own rows."
    from fastai_ch6.train import MetricsCSV
    (tmp_path/'metrics.csv').write_text('train_loss,epoch,run_id\n0.5,0,0123e45\n0.4,0,1e5\n0.3,1,1e5\n')
    m = MetricsCSV(tmp_path/'metrics.csv', start_epoch=1, run_id='0123e45')
    assert [(r['epoch'], r['run_id']) for r in m.rows] == [(0, '0123e45')]   # ids read as text, not numbers

# 19: Ctrl-C before the first epoch
@pytest.mark.parametrize('folder', ['new', 'empty'])
def test_ctrl_c_before_the_first_epoch_leaves_nothing_and_says_so(folder, tiny, tmp_path):
    out = tmp_path/'new'/'ml'
    if folder == 'empty': out.mkdir(parents=True)                      # a folder the user made for it
    p = _start('train', 'multilabel', '--data', tiny, '--out', out, '--epochs', 3, *FAST)
    try:
        _wait_for_line(p, 'lr_find suggests')
        p.send_signal(signal.SIGINT); _, err = p.communicate(timeout=300)
    finally: p.kill(); p.wait()
    assert p.returncode == 130 and len(err.strip().splitlines()) == 1, err[-2000:]
    assert 'is saved' not in err and 'nothing of this run was kept' in err, err
    if folder == 'new': assert not (tmp_path/'new').exists()           # not even a folder holding only the lock
    else: assert list(out.iterdir()) == []                             # the user's folder as it was

# 2
def test_train_never_replaces_a_users_model_pair(tiny, tmp_path):
    out = tmp_path/'mine'; out.mkdir()
    for f, text in (('notes.txt', 'my notes'), ('model.pth', 'my weights'), ('model.json', '{"mine": 1}')): (out/f).write_text(text)
    before = _files(out)
    _one_line_error(ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, *FAST),
                    'already holds results', 'model.pth', 'model.json', '--overwrite')
    assert _files(out) == before

# 3
@pytest.mark.parametrize('name,pickle', [('model.json', True), ('model.json', False), ('summary.json', False), ('metrics.csv', False),
                                         ('thresholds.json', False)])
def test_predict_never_writes_over_the_model_it_loads(name, pickle, finished, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(finished, out)
    if not pickle: (out/'model.pkl').unlink()                          # the guard must not depend on model.pkl
    before = _files(out)
    for to in (out/name, tmp_path/'ml'/'..'/'ml'/name):                # also written another way
        _one_line_error(ch6_here('predict', out, tiny/'test', '--to', to, '--overwrite'), name, 'a file of the model')
    assert _files(out) == before

# 5
@pytest.mark.parametrize('task', ['multilabel', 'regression'])
def test_lr_find_writes_nothing_in_the_current_folder_or_the_dataset(task, tiny, tiny_biwi, tmp_path):
    data, here = (tiny if task == 'multilabel' else tiny_biwi), tmp_path/'here'
    here.mkdir(); before = _tree(data)
    r = ch6_here('train', task, '--data', data, '--out', tmp_path/'out', '--epochs', 1, *FAST, cwd=here)   # no --lr: lr_find runs
    assert r.returncode == 0 and 'lr_find suggests' in r.stdout, r.stderr[-2000:]
    assert sorted(here.iterdir()) == [] and _tree(data) == before

def test_a_kill_during_lr_find_leaves_nothing_in_the_dataset_or_the_current_folder(tiny, tmp_path):
    here, tmp = tmp_path/'here', tmp_path/'tmp'; here.mkdir(); tmp.mkdir(); before = _tree(tiny)
    p = subprocess.Popen(list(map(str, [CH6, 'train', 'multilabel', '--data', tiny, '--out', tmp_path/'out', '--epochs', 1, *FAST])), cwd=here,
                         env={**os.environ, 'TMPDIR': str(tmp)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not list(tmp.glob('fastai_ch6-lr_find-*/models/*/_tmp.pth')) and p.poll() is None and time.time() < deadline: time.sleep(.05)
        assert list(tmp.glob('fastai_ch6-lr_find-*/models/*/_tmp.pth')), 'lr_find saved its weights somewhere else'
    finally: p.kill(); p.wait()                                        # kill -9 in the middle of lr_find
    assert sorted(here.iterdir()) == [] and _tree(tiny) == before      # what is left is in the temporary folder

def test_a_read_only_dataset_trains(tiny, tmp_path):
    data = tmp_path/'voc'; shutil.copytree(tiny, data)
    args = [CH6, 'train', 'multilabel', '--data', data, '--out', tmp_path/'out', '--epochs', 1, *FAST]
    if os.geteuid() == 0:                     # root writes anywhere: mount the folder read-only for this one process
        if not shutil.which('unshare') or subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode:
            pytest.skip('running as root without mount namespaces: no way to make a folder read-only')
        args = ['unshare', '-m', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', data, *args]
    else:
        for p in [data, *data.rglob('*')]: p.chmod(p.stat().st_mode & ~0o222)
    try: r = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=600)
    finally:
        for p in [data, *data.rglob('*')]: p.chmod(p.stat().st_mode | 0o200)
    assert r.returncode == 0 and 'lr_find suggests' in r.stdout, r.stderr[-3000:]

# 10
def test_a_resumed_fine_tune_ends_as_the_uninterrupted_one(tiny, tmp_path):
    args = ('train', 'multilabel', '--data', tiny, '--arch', 'course_resnet', '--epochs', 3, '--freeze-epochs', 1, '--size', 32,
            '--bs', 16, '--lr', '1e-2', '--seed', 5, '--threads', 1)
    whole, cut = tmp_path/'whole', tmp_path/'cut'
    r = ch6_here(*args, '--out', whole)
    assert r.returncode == 0, r.stderr[-2000:]
    p = _start(*args, '--out', cut)
    try:
        _wait_for_line(p, 'epoch 2/4')                                 # the first epoch with the body trainable has ended...
        while torch.load(cut/'checkpoint.pth', weights_only=True)['epoch'] < 1: time.sleep(.05)   # ... and is saved
        p.send_signal(signal.SIGINT); _, err = p.communicate(timeout=300)
    finally: p.kill(); p.wait()
    assert p.returncode == 130 and 'of this run is saved in' in err and 'continue with --resume' in err, err[-2000:]
    assert torch.load(cut/'checkpoint.pth', weights_only=True)['epoch'] in (1, 2) and not (cut/'summary.json').exists()
    r = ch6_here(*args, '--out', cut, '--resume')                     # in the middle of the phase with the body trainable
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = (torch.load(o/'model.pth', weights_only=True)['model'] for o in (whole, cut))
    assert a.keys() == b.keys()
    for k in a: torch.testing.assert_close(a[k], b[k], msg=k)
    ma, mb = (pd.read_csv(o/'metrics.csv').drop(columns=['time', 'run_id']) for o in (whole, cut))
    pd.testing.assert_frame_equal(ma, mb)                              # the same losses, epoch by epoch

# 19
def test_demo_refuses_before_it_trains(tmp_path):
    out = tmp_path/'demo'; (out/'regression').mkdir(parents=True)
    (out/'regression'/'summary.json').write_text('{}')                 # the second task's folder holds results
    before = _tree(out)
    _one_line_error(ch6_here('demo', '--out', out), str(out/'regression'), 'already holds results', '--overwrite')
    assert _tree(out) == before                                        # the first task was not trained

def test_an_overwrite_with_the_other_task_leaves_no_earlier_result(finished, tiny_biwi, tmp_path):
    out = tmp_path/'run'; shutil.copytree(finished, out)
    r = ch6_here('train', 'regression', '--lr', '1e-2', '--data', tiny_biwi, '--out', out, '--epochs', 1, *FAST, '--overwrite')
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (out/'thresholds.json').exists() and not (out/'threshold_curve.png').exists()
    assert json.loads((out/'summary.json').read_text())['config']['task'] == 'regression'
    assert ch6_here('predict', out, tiny_biwi/'13').returncode == 0

def test_resuming_a_finished_run_saves_it_again(finished, tiny, tmp_path):
    out = tmp_path/'ml'; shutil.copytree(finished, out)
    summary = json.loads((out/'summary.json').read_text())
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', out, '--epochs', 1, *FAST, '--resume')
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-2000:]      # nothing left to train: evaluated and saved again
    assert json.loads((out/'summary.json').read_text())['mAP'] == summary['mAP']
