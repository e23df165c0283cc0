"""Hostile or odd input files (issue 31, items 6, 7, 9, 11, 13-16): BIWI frames of another size than their calibration,
16-bit pictures, a copied person folder, labels left empty, image extensions other than `.jpg`, damaged images beside the
ones evaluated, file names that a spreadsheet would run as formulas, and named pipes. Each through the real files and,
where the user meets it, the `ch6` command: in this process (`ch6_here`), or in a real subprocess where a hang is the point."""
import csv, io, json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image
from conftest import ch6, ch6_here

from fastai_ch6.core import DataFormatError
from fastai_ch6.sources import biwi_head_pose
from fastai_ch6.data import check_biwi

@pytest.fixture(scope='module')
def biwi(tmp_path_factory):
    "A BIWI-format stand-in with 2 frames of each of the 24 people."
    return biwi_head_pose('synthetic', dest=tmp_path_factory.mktemp('b')/'biwi', frames_per_person=2)

def _people(biwi, dest, people=('01', '02', '13')):
    for p in people: shutil.copytree(biwi/p, dest/p)
    return dest

def _one_line_error(r, *expect):
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    err = r.stderr.strip()
    assert 'Traceback' not in err and len(err.splitlines()) == 1 and all(e in err for e in expect), err[-2000:]

def _copy(tiny, dest):
    shutil.copytree(tiny, dest); return dest

# ---- item 6: a BIWI frame whose size is not its calibration's ----

def test_a_frame_resized_below_its_calibration_is_refused(biwi, tmp_path):
    d = _people(biwi, tmp_path/'biwi')
    f = sorted((d/'02').glob('*_rgb.jpg'))[1]
    Image.open(f).resize((320, 240)).save(f)                               # rgb.cal still says 640 480
    with pytest.raises(DataFormatError) as e: check_biwi(d)
    msg = str(e.value)
    assert f'{f}: the frame is 320x240 pixels, but {d/"02"/"rgb.cal"} is the calibration of 640x480 images' in msg
    assert '1 bad BIWI file' in msg and 'original 640x480 size' in msg and '\n' not in msg
    r = ch6_here('train', 'regression', '--data', d, '--out', tmp_path/'reg', '--epochs', 1, '--lr', '1e-3', '--bs', 2)
    _one_line_error(r, f'{f}: the frame is 320x240 pixels')
    assert not (tmp_path/'reg').exists()

def test_frames_of_their_calibrations_size_pass(biwi, tmp_path):
    d = _people(biwi, tmp_path/'biwi')
    cal = d/'02'/'rgb.cal'; lines = cal.read_text().splitlines()
    cal.write_text('\n'.join(lines[:-1] + ['320 240']) + '\n')             # a camera of 320x240 pictures...
    for f in (d/'02').glob('*_rgb.jpg'): Image.open(f).resize((320, 240)).save(f)   # ...and its frames: consistent
    try: check_biwi(d)
    except DataFormatError as e: assert 'the frame is' not in str(e), e     # (its poses may project outside the smaller frame)

# ---- item 7: 16-bit pictures are scaled, not clipped to white ----

def _grey_pair(tiny, d):
    "The same grey picture as an 8-bit PNG and as a 16-bit one."
    d.mkdir(); a8 = np.asarray(Image.open(sorted((tiny/'test').glob('*.jpg'))[0]).convert('L'))
    Image.fromarray(a8).save(d/'g8.png'); Image.fromarray(a8.astype(np.uint16)*257).save(d/'g16.png')
    assert Image.open(d/'g16.png').mode == 'I;16'
    Image.new('RGB', a8.shape[::-1], (255, 255, 255)).save(d/'white.png')
    return d

def test_a_16_bit_png_is_predicted_as_its_8_bit_picture(run, tiny, tmp_path):
    d = _grey_pair(tiny, tmp_path/'imgs')
    r = ch6_here('predict', run, d, '--to', tmp_path/'p.csv')
    assert r.returncode == 0 and 'warning' not in r.stderr, r.stderr[-2000:]
    p = pd.read_csv(tmp_path/'p.csv').assign(file=lambda x: x.file.map(lambda f: Path(f).name)).set_index('file').drop(columns=['labels', 'thresh'])
    assert np.abs(p.loc['g16.png'] - p.loc['g8.png']).max() < 1e-4
    assert np.abs(p.loc['white.png'] - p.loc['g8.png']).max() > 1e-3    # a white picture would be told apart

def test_a_16_bit_png_in_a_training_folder_is_resized_to_its_grey(tiny, tmp_path):
    from fastai_ch6.images import small_images
    voc = tmp_path/'voc'; (voc/'train').mkdir(parents=True)
    Image.fromarray(np.full((48, 64), 128*257, np.uint16)).save(voc/'train'/'grey16.png')
    px = np.asarray(Image.open(small_images(voc, 16, n_workers=0)/'train'/'grey16.png'))
    assert abs(px.mean() - 128) < 2, px.mean()                            # clipped, it would be 255

def test_a_16_bit_frame_is_decoded_to_its_grey(tmp_path):
    from fastai_ch6.regression import load_frame
    Image.fromarray(np.full((480, 640), 100*257, np.uint16)).save(f := tmp_path/'frame_00001_rgb.png')
    assert abs(np.asarray(load_frame(f)).mean() - 100) < 1

# ---- item 9: a folder of frames that is not a person ----

@pytest.mark.parametrize('copy', ['13 (copy)', '13_old', '1', '013'])
def test_a_copy_of_the_validation_person_is_refused(biwi, tmp_path, copy):
    from fastai_ch6.data import biwi_frames
    d = _people(biwi, tmp_path/'biwi'); shutil.copytree(d/'13', d/copy)
    for check in (check_biwi, biwi_frames):
        with pytest.raises(DataFormatError) as e: check(d)
        assert f"{d}: folder '{copy}' holds 2 frames but is not a person" in str(e.value) and '\n' not in str(e.value)
    r = ch6_here('train', 'regression', '--data', d, '--out', tmp_path/'reg', '--epochs', 1, '--lr', '1e-3', '--bs', 2)
    _one_line_error(r, f"folder '{copy}' holds 2 frames but is not a person", 'a copy of the validation person', 'Move such folders out')
    assert not (tmp_path/'reg').exists()

def test_frames_in_the_root_itself_are_refused(biwi, tmp_path):
    d = _people(biwi, tmp_path/'biwi')
    shutil.copy(sorted((d/'13').glob('*_rgb.jpg'))[0], d/'frame_99999_rgb.jpg')
    with pytest.raises(DataFormatError, match="folder '.' holds 1 frame but is not a person"): check_biwi(d)

# ---- item 11: labels left empty ----

def _blank(tiny, tmp_path, rows):
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv', keep_default_na=False)
    df.loc[rows(df), 'labels'] = ''; df.to_csv(d/'train.csv', index=False)
    return d

def test_a_dataset_without_any_label_is_refused(tiny, tmp_path):
    d = _blank(tiny, tmp_path, lambda df: slice(None))
    r = ch6_here('train', 'multilabel', '--data', d, '--out', tmp_path/'ml', '--epochs', 1, '--lr', '1e-2')
    _one_line_error(r, f"{d/'train.csv'}: no row has a label (column 'labels' is empty in all 160 rows)", 'separated by spaces')
    assert not (tmp_path/'ml').exists()

@pytest.mark.parametrize('split', ['validation', 'training'])
def test_a_split_without_any_label_is_refused(tiny, tmp_path, split):
    d = _blank(tiny, tmp_path, lambda df: df.is_valid if split == 'validation' else ~df.is_valid)
    r = ch6_here('train', 'multilabel', '--data', d, '--out', tmp_path/'ml', '--epochs', 1, '--lr', '1e-2')
    _one_line_error(r, f"{d/'train.csv'}: none of the 80 {split} rows (is_valid {split == 'validation'}) has a label")
    assert not (tmp_path/'ml').exists()

# ---- item 13: .JPG, .jpeg and .png pictures train, evaluate and predict ----

def test_training_on_jpg_JPG_jpeg_and_png_files(tiny, tmp_path):
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv', keep_default_na=False)
    new = []
    for i, f in enumerate(df.fname):
        ext = ['.jpg', '.JPG', '.jpeg', '.png'][i % 4]
        g = Path(f).stem + ext
        if ext == '.png': Image.open(d/'train'/f).save(d/'train'/g); (d/'train'/f).unlink()   # a real PNG
        else: (d/'train'/f).rename(d/'train'/g)
        new.append(g)
    df['fname'] = new; df.to_csv(d/'train.csv', index=False)
    r = ch6_here('train', 'multilabel', '--data', d, '--out', tmp_path/'ml', '--epochs', 1, '--lr', '1e-2', '--size', 32)
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads((tmp_path/'ml'/'summary.json').read_text())
    assert s['n_valid'] == df.is_valid.sum()                              # every validation picture, whatever its extension
    e = ch6_here('evaluate', tmp_path/'ml', '--data', d)
    assert e.returncode == 0, e.stderr[-2000:]
    assert json.loads(e.stdout)['n'] == df.is_valid.sum() and abs(json.loads(e.stdout)['mAP'] - s['mAP']) < 1e-6
    p = ch6_here('predict', tmp_path/'ml', *[d/'train'/g for g in new[:4]], '--to', tmp_path/'p.csv')
    assert p.returncode == 0 and len(pd.read_csv(tmp_path/'p.csv')) == 4, p.stderr[-2000:]

# ---- item 14: evaluate reads the validation split; a damaged picture is named ----

def _truncate(f): f.write_bytes(f.read_bytes()[:1500])

def test_evaluate_is_not_stopped_by_a_damaged_training_picture(run, tiny, tmp_path):
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv')
    _truncate(d/'train'/df.fname[~df.is_valid].iloc[0])
    before = ch6_here('evaluate', run, '--data', tiny)
    r = ch6_here('evaluate', run, '--data', d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout) == json.loads(before.stdout) and 'warning' not in r.stderr   # the same scores: the picture is not evaluated

def test_evaluate_reads_only_the_validation_split(run, tiny, tmp_path):
    "On a folder that no training resized, evaluate resizes the validation pictures alone, and scores them as training did."
    import hashlib
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv')
    r = ch6_here('evaluate', run, '--data', d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout) == json.loads(ch6_here('evaluate', run, '--data', tiny).stdout)
    key = hashlib.md5(str(d.resolve()).encode()).hexdigest()[:8]
    copies = list(Path(os.environ['FASTAI_CH6_CACHE']).glob(f'voc-{key}-px*'))
    assert len(copies) == 1 and sorted(p.name for p in (copies[0]/'train').iterdir()) == sorted(df.fname[df.is_valid])

def test_evaluate_names_a_damaged_validation_picture_and_goes_on(run, tiny, tmp_path):
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv')
    bad = d/'train'/df.fname[df.is_valid].iloc[0]; _truncate(bad)
    r = ch6_here('evaluate', run, '--data', d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)['n'] == df.is_valid.sum() - 1
    warn = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(warn) == 1 and f'skipping {bad}: not a readable image' in warn[0], r.stderr

def test_training_names_a_damaged_picture_in_the_resized_copy(tiny, tmp_path):
    "The resized copy leaves out a damaged picture; the data block then names it, in one line."
    from fastai_ch6.datablock import pascal_dls
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv'); bad = d/'train'/df.fname[0]; _truncate(bad)
    with pytest.raises(DataFormatError) as e: pascal_dls(path=d, size=16, bs=8)
    assert str(e.value).startswith(f'{bad}: cannot be read (') and 'remove its row' in str(e.value) and '\n' not in str(e.value)

# ---- item 15: no spreadsheet formulas in the predictions CSV ----

NAMES = ['=1+2.jpg', '+cmd.jpg', '@SUM(A1).jpg', '-2+3.jpg', '\tx.jpg', '\ry.jpg', 'a=b.jpg']

@pytest.fixture
def formula_folder(tiny, tmp_path):
    d = tmp_path/'imgs'; d.mkdir()
    src = sorted((tiny/'test').glob('*.jpg'))[0]
    for n in NAMES: shutil.copy(src, d/n)
    return d

def _csv_files(text):
    "The `file` cells of CSV `text`, as Python's `csv` (and a spreadsheet) reads them."
    return sorted(row['file'] for row in csv.DictReader(io.StringIO(text, newline='')))

def test_formula_file_names_are_text_in_the_csv_and_real_in_json(run, formula_folder, tmp_path):
    expect = sorted(("'" + n) if n[0] in '=+-@\t\r' else n for n in NAMES)
    r = ch6_here('predict', run, '.', '--to', tmp_path/'p.csv', cwd=formula_folder)     # relative names: the cell starts with the name
    assert r.returncode == 0, r.stderr[-2000:]
    assert _csv_files(open(tmp_path/'p.csv', newline='').read()) == expect
    out = ch6_here('predict', run, '.', cwd=formula_folder)                                  # printed CSV, as redirected to a file
    assert out.returncode == 0 and _csv_files(out.stdout) == expect
    j = ch6_here('predict', run, '.', '--to', tmp_path/'p.json', cwd=formula_folder)
    assert j.returncode == 0 and sorted(rec['file'] for rec in json.loads((tmp_path/'p.json').read_text())) == sorted(NAMES)

# ---- item 16: named pipes are never opened ----

def test_predict_skips_a_named_pipe_in_a_folder(run, tiny, tmp_path):
    d = tmp_path/'imgs'; d.mkdir()
    shutil.copy(sorted((tiny/'test').glob('*.jpg'))[0], d/'real.jpg')
    os.mkfifo(d/'x.jpg')
    r = ch6('predict', run, d, timeout=300)                                # a reader of the pipe would wait forever
    assert r.returncode == 0, r.stderr[-2000:]
    assert [Path(f).name for f in pd.read_csv(io.StringIO(r.stdout)).file] == ['real.jpg']
    assert f'skipping {d/"x.jpg"}: a named pipe, not an image file' in r.stderr

def test_predict_refuses_a_named_pipe_given_by_name(run, tmp_path):
    os.mkfifo(tmp_path/'x.jpg')
    _one_line_error(ch6_here('predict', run, tmp_path/'x.jpg'), f"{tmp_path/'x.jpg'}: a named pipe, not an image file")

def test_a_named_pipe_in_train_is_never_opened(tiny, tmp_path):
    "The resized copy of train/ reads regular files only (a pipe there would block training)."
    code = ("import sys; from fastai_ch6.datablock import small_images; "
            "print(sorted(p.name for p in (small_images(sys.argv[1], 16, n_workers=0)/'train').iterdir())[:2])")
    d = tmp_path/'voc'; (d/'train').mkdir(parents=True)
    Image.new('RGB', (40, 30)).save(d/'train'/'a.jpg'); os.mkfifo(d/'train'/'b.jpg')
    r = subprocess.run([sys.executable, '-c', code, str(d)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "['a.jpg']", r.stderr[-2000:]

def test_a_named_pipe_listed_in_train_csv_is_named(tiny, tmp_path):
    d = _copy(tiny, tmp_path/'voc')
    df = pd.read_csv(d/'train.csv'); f = d/'train'/df.fname[2]
    f.unlink(); os.mkfifo(f)
    r = ch6_here('train', 'multilabel', '--data', d, '--out', tmp_path/'ml', '--epochs', 1, '--lr', '1e-2')
    _one_line_error(r, f"{d/'train.csv'}, row 4, column 'fname': {df.fname[2]!r} in train/ is not a regular file")
    assert not (tmp_path/'ml').exists()
