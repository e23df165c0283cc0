"""Model files and options that the user controls (issue 31, items 4, 8, 12, 17, 18 and 19's `ch6 pretrain`): `ch6 pretrain`
never replaces weights unasked, nor the package's own body; `model.json` and `summary.json` are checked by the rules of the
options they came from; the shared `model.pth` + `model.json` pair loads on its own; a damaged shipped body, a read-only cache
and impossible values end in one line that says what and where. The command runs in this process (`ch6_here`) except where
the process boundary is the point."""
import hashlib, json, math, os, shutil
from pathlib import Path
import pytest
from conftest import ch6_here, finished_run

PRETRAIN_SMALL = ['--n-classes', 8, '--n-per-class', 20, '--size', 32, '--epochs-small', 1, '--epochs', 1,
                  '--shape-classes', 4, '--shape-images', 160, '--shape-epochs', 1]   # 144 and 144 training pictures: one batch each

def _one_line_error(r, *expect):
    "Exit 2, the error in one line, last (argparse's usage lines and fastai's pickle warning may come before it), no traceback, naming every `expect`."
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert 'Traceback' not in r.stderr, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    errors = [l for l in lines if 'error:' in l]
    assert len(errors) == 1 and lines[-1] == errors[0], r.stderr[-2000:]
    assert all(e in errors[0] for e in expect), (expect, errors[0])
    return errors[0]

@pytest.fixture(scope='module')
def run(tiny, tmp_path_factory):
    "One finished 1-epoch multi-label run at 32 px."
    return finished_run(tiny, tmp_path_factory.mktemp('runs')/'ml', '--size', 32)

@pytest.fixture(scope='module')
def reg_run(tiny_biwi, tmp_path_factory):
    "One finished 1-epoch regression run at 32 px."
    out = tmp_path_factory.mktemp('runs')/'reg'
    r = ch6_here('train', 'regression', '--lr', '1e-2', '--data', tiny_biwi, '--out', out, '--epochs', 1, '--size', 32, '--bs', 16)
    assert r.returncode == 0, r.stderr[-3000:]
    return out

def _copy(run, tmp_path):
    out = tmp_path/'model'; shutil.copytree(run, out); return out

def _sha(f): return hashlib.sha256(Path(f).read_bytes()).hexdigest()

# Item 4 and item 19 (log): `ch6 pretrain --out` never replaces weights unasked; a log gets plain lines

def test_pretrain_keeps_existing_weights_unless_overwrite_and_logs_plain_lines(tmp_path):
    out = tmp_path/'body'; out.mkdir(); (out/'course_resnet.pth').write_bytes(b'my own weights')
    r = ch6_here('pretrain', '--out', out, *PRETRAIN_SMALL)
    _one_line_error(r, str(out), 'course_resnet.pth', '--overwrite')
    assert (out/'course_resnet.pth').read_bytes() == b'my own weights' and not (out/'course_resnet.json').exists()
    r = ch6_here('pretrain', '--out', out, *PRETRAIN_SMALL, '--overwrite')   # stdout is not a terminal, as in a log file
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out/'course_resnet.pth').read_bytes() != b'my own weights' and (out/'course_resnet.json').is_file()
    assert '\r' not in r.stdout + r.stderr and '█' not in r.stdout + r.stderr and '\x1b' not in r.stdout + r.stderr   # no progress bars
    lines = r.stdout.splitlines()
    assert [l.split(':')[0] for l in lines[:3]] == ['fractals at half size, epoch 1/1', 'fractals, epoch 1/1', 'shapes, epoch 1/1'], r.stdout
    assert 'valid_loss' in lines[0] and lines[-1].startswith('course_resnet pretrained:')

def test_pretrain_never_writes_into_the_packages_weights_folder():
    from fastai_ch6.models import weights_path
    shipped = {f: f.read_bytes() for f in weights_path().parent.iterdir()}
    try:
        for extra in ([], ['--overwrite']):
            r = ch6_here('pretrain', '--out', weights_path().parent, *PRETRAIN_SMALL, *extra)
            _one_line_error(r, str(weights_path().parent), "the package's own weights folder")
            assert {f: f.read_bytes() for f in weights_path().parent.iterdir()} == shipped
    finally:                                               # whatever happened, the shipped body stays as it was
        for f in set(weights_path().parent.iterdir()) - set(shipped): f.unlink()
        for f, b in shipped.items():
            if f.read_bytes() != b: f.write_bytes(b)

# Item 19: `ch6 pretrain` checks its settings before any work

@pytest.mark.parametrize('args,expect', [
    (['--shape-classes', 2], 'shape-classes=2'),                       # fewer classes than objects in a picture (max_objects=3)
    (['--size', 16], 'size=16'),                                       # the shapes' objects do not fit at 16 px
    (['--n-per-class', 2], 'fewer than one batch'),                     # an empty training loader
    (['--shape-images', 20], 'shape-images=20'),
    (['--seed', 2**40], 'seed=1099511627776'),
])
def test_pretrain_checks_its_settings_before_any_work(args, expect, tmp_path):
    small = list(PRETRAIN_SMALL)
    for k, v in zip(args[::2], args[1::2]):
        if k in small: small[small.index(k) + 1] = v
        else: small += [k, v]
    r = ch6_here('pretrain', '--out', tmp_path/'body', *small, cwd=tmp_path)
    _one_line_error(r, expect)
    assert not (tmp_path/'body').exists()                              # refused before the folder was made

# Item 8: model.json values are checked by the options' own rules

@pytest.mark.parametrize('key,value,expect', [
    ('thresh', 5, 'thresh=5: a threshold is a probability'),
    ('thresh', -1, 'thresh=-1: a threshold is a probability'),
    ('thresh', float('nan'), 'thresh=nan: a threshold is a probability'),
    ('normalize', 'std0', 'normalize='),
])
def test_model_json_values_are_checked_like_the_options(key, value, expect, run, tiny, tmp_path):
    out = _copy(run, tmp_path)
    info = json.loads((out/'model.json').read_text())
    if value == 'std0': value = [info['normalize'][0], [0., 0., 0.]]
    (out/'model.json').write_text(json.dumps({**info, key: value}))
    _one_line_error(ch6_here('predict', out, tiny/'test'), f"{out/'model.json'}: {expect}")
    if key == 'thresh' and math.isfinite(value):      # the same value on the command line: the same rule, the same words
        _one_line_error(ch6_here('predict', run, tiny/'test', '--thresh', value), expect)

# Item 12: the shared pair loads on its own

def test_the_shared_pair_loads_on_its_own(run, tiny, tmp_path):
    from fastai_ch6.inference import load_model
    pair = tmp_path/'shared'; pair.mkdir()
    for f in ('model.pth', 'model.json'): shutil.copy(run/f, pair/f)
    r = ch6_here('predict', pair, tiny/'test')
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout == ch6_here('predict', run, tiny/'test').stdout       # the same predictions, at the same threshold
    learn = load_model(pair)
    assert learn.ch6.task == 'multilabel' and learn.ch6.thresh == json.loads((run/'thresholds.json').read_text())['thresh']
    r = ch6_here('evaluate', pair, '--data', tiny)
    assert r.returncode == 0 and json.loads(r.stdout)['mAP'] == json.loads((run/'summary.json').read_text())['mAP'], r.stderr[-2000:]

def test_a_run_folder_without_its_summary_is_still_refused_naming_the_right_files(run, tiny, tmp_path):
    out = _copy(run, tmp_path); (out/'summary.json').unlink()          # a run that never finished
    _one_line_error(ch6_here('predict', out, tiny/'test'), 'model.pth/model.json and summary.json do not come from the same finished run')

# Item 17: damaged files end in one line that says what and where

def test_a_damaged_shipped_body_is_named(tiny, tmp_path, monkeypatch):
    import fastai_ch6.models as models, fastai_ch6.pretrain as pretrain
    from fastai_ch6.models import course_resnet, load_body
    good = models.weights_path()
    broken = tmp_path/'weights'/'course_resnet.pth'; broken.parent.mkdir()
    broken.write_bytes(good.read_bytes()[:len(good.read_bytes())//2])       # a truncated download or a damaged disk
    with pytest.raises(ValueError, match='course_resnet.pth: damaged or not a weights file'): load_body(course_resnet(), broken)
    (tmp_path/'garbage.pth').write_bytes(b'\x80\x04 not a pickle')
    with pytest.raises(ValueError, match='garbage.pth: damaged'): load_body(course_resnet(), tmp_path/'garbage.pth')
    monkeypatch.setattr(models, 'weights_path', lambda: broken)       # where the package's own body is looked for: a damaged copy
    r = ch6_here('train', 'multilabel', '--lr', '1e-2', '--data', tiny, '--out', tmp_path/'ml', '--epochs', 1, '--size', 32)
    _one_line_error(r, str(broken), 'damaged', 'reinstall fastai_ch6')
    assert _sha(good) == pretrain.model_card(good)['sha256']            # the real shipped file was never touched

@pytest.mark.parametrize('change,expect', [
    (lambda i: {k: v for k, v in i.items() if k != 'size'}, "key 'size' is missing"),
    (lambda i: {k: v for k, v in i.items() if k != 'arch'}, "key 'arch' is missing"),
    (lambda i: [i], 'a JSON list, not a model description'),
    (lambda i: {**i, 'size': '32'}, "size='32'"),
    (lambda i: {**i, 'thresh': '0.5'}, "thresh='0.5'"),
    (lambda i: {**i, 'task': 'segmentation'}, "task='segmentation': not one of multilabel, regression"),
    (lambda i: {**i, 'normalize': [[0.5, 0.5], [0.2, 0.2]]}, 'normalize='),
    (lambda i: {**i, 'size': 10**9}, 'size=1000000000: an image size is 16 to 2048 px'),
])
def test_a_malformed_model_json_is_named_with_its_key(change, expect, run, tiny, tmp_path):
    out = _copy(run, tmp_path)
    (out/'model.json').write_text(json.dumps(change(json.loads((out/'model.json').read_text()))))
    _one_line_error(ch6_here('predict', out, tiny/'test'), str(out/'model.json'), expect)

@pytest.mark.parametrize('summary', ['[]', '"done"', '{"run_id": 5}'])
def test_a_malformed_summary_json_is_named(summary, run, tiny, tmp_path):
    out = _copy(run, tmp_path); (out/'summary.json').write_text(summary)
    _one_line_error(ch6_here('evaluate', out, '--data', tiny), str(out), 'summary.json')

def test_ch6_data_with_a_read_only_cache_says_which_folder(tmp_path, monkeypatch, capsys):
    from fastai_ch6.cli import ch6_data
    ro = tmp_path/'ro'; ro.mkdir(); ro.chmod(0o555)
    places = [p for p in (ro/'cache', Path('/sys/fastai_ch6-cache')) if not _writable(p)]   # root writes into a read-only folder anyway; /sys refuses
    if not places: pytest.skip('no folder here refuses writes to this user')
    for cache in places:
        monkeypatch.setenv('FASTAI_CH6_CACHE', str(cache))
        with pytest.raises(SystemExit) as e: ch6_data(['--source', 'synthetic', '--n-train', '10', '--frames-per-person', '2'])
        err = capsys.readouterr().err
        assert e.value.code == 2 and 'Traceback' not in err and len(err.strip().splitlines()) == 1, err
        assert f'cannot write into {cache}' in err and 'FASTAI_CH6_CACHE' in err, err

def _writable(p):
    "Whether this process can create the folder `p` (then it is removed again)."
    try: p.mkdir(parents=True); p.rmdir(); return True
    except OSError: return False

# Items 17 and 18: impossible or ignored options are refused in one line, before any work

@pytest.mark.parametrize('args,expect', [
    (['train', 'multilabel', '--size', 100000], 'size=100000: an image size is 16 to 2048 px'),
    (['train', 'multilabel', '--epochs', '1e30'], 'epochs=1e+30: train for at least 1 epoch and at most 1000'),
    (['train', 'multilabel', '--freeze-epochs', '1e30'], 'freeze-epochs=1e+30'),
    (['train', 'multilabel', '--threads', 1000], f'threads=1000: torch needs 1 thread or more, and this machine has {os.cpu_count()} cores'),
    (['train', 'multilabel', '--seed', 10**30], 'seed=1000000000000000000000000000000: a seed is a whole number from 0 to 4294967295'),
    (['train', 'multilabel', '--seed', -1], 'seed=-1'),
    (['train', 'multilabel', '--bs', 1], 'bs=1: a training batch needs at least 2 images'),
    (['ch6-data', '--seed', 2**32, '--n-train', 2, '--frames-per-person', 2], 'seed=4294967296'),
])
def test_nonsense_options_are_refused_naming_the_option(args, expect, tmp_path, monkeypatch, capsys):
    if args[0] == 'ch6-data':
        from fastai_ch6.cli import ch6_data
        monkeypatch.chdir(tmp_path)
        with pytest.raises(SystemExit) as e: ch6_data([str(a) for a in args[1:]])
        err = capsys.readouterr().err
        assert e.value.code == 2 and expect in err.strip().splitlines()[-1] and 'Traceback' not in err, err
    else: _one_line_error(ch6_here(*args, '--data', 'no-such-data', cwd=tmp_path), expect)   # never a default dataset, even if accepted
    assert not any(tmp_path.iterdir())                                   # no work started, nothing written

def test_evaluate_refuses_a_validation_person_for_a_multilabel_model(run, tiny):
    _one_line_error(ch6_here('evaluate', run, '--data', tiny, '--valid-person', '05'), 'valid_person=05', 'multilabel', 'Leave out --valid-person')

def test_predict_refuses_a_threshold_for_a_regression_model(reg_run, tiny_biwi):
    _one_line_error(ch6_here('predict', reg_run, tiny_biwi/'13', '--thresh', 0.5), 'thresh=0.5', 'regression', 'Leave out --thresh')

def test_a_regression_pair_loads_on_its_own(reg_run, tiny_biwi, tmp_path):
    pair = tmp_path/'shared'; pair.mkdir()
    for f in ('model.pth', 'model.json'): shutil.copy(reg_run/f, pair/f)
    r = ch6_here('predict', pair, tiny_biwi/'13')
    assert r.returncode == 0 and r.stdout == ch6_here('predict', reg_run, tiny_biwi/'13').stdout, r.stderr[-2000:]

def test_a_regression_model_json_without_its_validation_person_is_refused(reg_run, tiny_biwi, tmp_path):
    "Every regression model.json names the person it was validated on; one without it is not guessed to be person 13."
    out = _copy(reg_run, tmp_path)
    info = json.loads((out/'model.json').read_text()); assert info['valid_person'] == '13'
    del info['valid_person']; (out/'model.json').write_text(json.dumps(info))
    _one_line_error(ch6_here('evaluate', out, '--data', tiny_biwi), f"{out/'model.json'}: key 'valid_person' is missing", 'Restore the model.json')

def test_a_model_pkl_saved_before_run_info_still_loads(run, tiny, tmp_path):
    "A model.pkl whose learner carries the run's facts as separate `ch6_*` attributes (as the course saved them before `RunInfo`) loads with them in `learn.ch6`."
    import warnings
    from fastai.vision.all import load_learner
    from fastai_ch6.inference import load_model
    out = _copy(run, tmp_path)
    with warnings.catch_warnings(): warnings.simplefilter('ignore'); learn = load_learner(out/'model.pkl')
    info = vars(learn).pop('ch6')
    learn.ch6_task, learn.ch6_run_id, learn.ch6_config, learn.ch6_thresh = info.task, info.run_id, info.config, info.thresh
    learn.ch6_epoch0, learn.ch6_n_epoch, learn.ch6_frozen = 1, 2, False                  # as `fine_tune_from` left them
    learn.path = out; learn.export('model.pkl')
    with pytest.warns(UserWarning, match='insecure pickle'): old = load_model(out, trust_pickle=True)
    assert (old.ch6.task, old.ch6.run_id, old.ch6.config, old.ch6.thresh) == (info.task, info.run_id, info.config, info.thresh)
    assert not [k for k in vars(old) if k.startswith('ch6_')]
    r = ch6_here('predict', out, tiny/'test', '--trust-pickle')
    assert r.returncode == 0 and r.stdout == ch6_here('predict', run, tiny/'test').stdout, r.stderr[-2000:]

@pytest.mark.parametrize('lr', [1e10, 1e6])   # 1e6: on this machine the first epoch is saved, and the second diverges in its validation
def test_a_huge_learning_rate_says_training_diverged_and_leaves_nothing(lr, tiny, tmp_path):
    r = ch6_here('train', 'multilabel', '--data', tiny, '--out', tmp_path/'ml', '--epochs', 3, '--lr', lr, '--size', 32)
    if lr < 1e10 and r.returncode == 0: pytest.skip(f'lr={lr} did not diverge on this machine')
    _one_line_error(r, 'training diverged', 'lower --lr')
    assert not (tmp_path/'ml').exists()                                  # no checkpoint, metrics or config of a run that cannot go on

def test_damaged_thresholds_are_named(run, tiny, tmp_path):
    out = _copy(run, tmp_path); th = json.loads((out/'thresholds.json').read_text())
    for bad, expect in [([th], 'a JSON list'), ({**th, 'thresh': 'high'}, "thresh='high'"), ({**th, 'thresh': 7}, 'thresh=7')]:
        (out/'thresholds.json').write_text(json.dumps(bad))
        _one_line_error(ch6_here('predict', out, tiny/'test', '--trust-pickle'), str(out/'thresholds.json'), expect)
