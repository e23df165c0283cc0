"Bad input to the data layer: a `dest` holding the user's files, CSVs that point outside `train/` or disagree with the disk, stale caches, broken BIWI folders."
import os, shutil, time
from pathlib import Path
import numpy as np, pytest
from PIL import Image

import fastai_ch6.data as data
import fastai_ch6.sources as sources
from fastai_ch6.core import DataFormatError
from fastai_ch6.sources import pascal_2007, biwi_head_pose
from fastai_ch6.data import read_labels_csv, check_biwi
from fastai_ch6.core import dataset_is_complete, MANIFEST
from fastai_ch6.standins import pose_text

# ---- item 1: `dest=` never deletes a folder the course did not make ----

SMALL = {pascal_2007: dict(n_train=6, n_test=0), biwi_head_pose: dict(frames_per_person=1)}

def _user_folder(tmp_path):
    mine = tmp_path/'mine'; mine.mkdir(); (mine/'keep.txt').write_text('my notes')
    return mine

@pytest.mark.parametrize('make', [pascal_2007, biwi_head_pose], ids=['pascal', 'biwi'])
def test_synthetic_dest_with_user_files_is_refused_and_kept(make, tmp_path, tmp_cache):
    mine = _user_folder(tmp_path)
    with pytest.raises(FileExistsError) as e: make('synthetic', dest=mine, **SMALL[make])
    assert (mine/'keep.txt').read_text() == 'my notes' and [p.name for p in mine.iterdir()] == ['keep.txt']
    msg = str(e.value)
    assert str(mine) in msg and 'was not made by fastai_ch6' in msg and MANIFEST in msg and 'new or empty folder' in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine']   # no lock or temporary folder left beside it

@pytest.mark.parametrize('make', [pascal_2007, biwi_head_pose], ids=['pascal', 'biwi'])
def test_auto_offline_dest_keeps_user_files(make, tmp_path, tmp_cache, monkeypatch, capsys):
    "With the default source offline, `dest` is where datasets are extracted: the stand-in goes in a sub-folder of it."
    monkeypatch.delenv('FASTAI_CH6_DATA', raising=False)
    monkeypatch.setattr(sources, '_reachable', lambda *a, **k: False)   # offline, whatever this machine can reach
    mine = _user_folder(tmp_path)
    root = make(dest=mine, **SMALL[make])
    assert (mine/'keep.txt').read_text() == 'my notes'
    assert root.parent == mine and dataset_is_complete(root)
    assert 'using the synthetic stand-in' in capsys.readouterr().out

def test_empty_dest_is_filled_and_a_course_folder_is_rebuilt(tmp_path, tmp_cache, capsys):
    empty = tmp_path/'voc'; empty.mkdir()
    root = pascal_2007('synthetic', dest=empty, n_train=6, n_test=0)
    assert root == empty and dataset_is_complete(root, dict(dataset='PASCAL_2007', n_train=6, n_test=0, seed=42))
    root = pascal_2007('synthetic', dest=empty, n_train=8, n_test=0)   # other parameters: the course's own folder is replaced
    assert len(read_labels_csv(root/'train.csv')) == 8 and 'rebuilding it' in capsys.readouterr().out

def test_dest_that_is_a_file_is_refused(tmp_path, tmp_cache):
    f = tmp_path/'notes.txt'; f.write_text('mine')
    with pytest.raises(FileExistsError, match='was not made by fastai_ch6'): pascal_2007('synthetic', dest=f, n_train=6, n_test=0)
    assert f.read_text() == 'mine'

# ---- images with no objects (`n_empty`) ----

def test_n_empty_rows_have_empty_labels_and_plain_images(tmp_path, tmp_cache):
    root = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=20, n_test=2, n_empty=5)
    df = read_labels_csv(root/'train.csv', vocab=data.VOC_CLASSES)
    assert (df.labels == '').sum() == 5 and len(df) == 20
    assert sorted(l for l in (root/'train.csv').read_text().splitlines() if ',,' in l) == sorted(
        f"{f},,{v}" for f,v in zip(df.fname[df.labels == ''], df.is_valid[df.labels == '']))
    import json
    boxes = {a['image_id'] for n in ('train', 'valid') for a in json.loads((root/f'{n}.json').read_text())['annotations']}
    assert all(int(f[:6]) not in boxes for f in df.fname[df.labels == ''])   # no object boxes on an empty image
    assert all(int(f[:6]) in boxes for f in df.fname[df.labels != ''])

def test_n_empty_zero_is_the_old_stand_in_and_other_values_have_their_own_cache(tmp_cache):
    plain = pascal_2007('synthetic', n_train=12, n_test=0)
    assert plain.name == 'pascal_2007-synthetic-n12-t0-s42'             # n_empty=0: the same folder and manifest as before
    assert dataset_is_complete(plain, dict(dataset='PASCAL_2007', n_train=12, n_test=0, seed=42))
    e3 = pascal_2007('synthetic', n_train=12, n_test=0, n_empty=3)
    assert e3 != plain and dataset_is_complete(plain) and dataset_is_complete(e3)
    assert not dataset_is_complete(e3, dict(dataset='PASCAL_2007', n_train=12, n_test=0, seed=42))
    assert (read_labels_csv(e3/'train.csv').labels == '').sum() == 3
    assert (read_labels_csv(plain/'train.csv').labels == '').sum() == 0
    a, b = (read_labels_csv(r/'train.csv') for r in (plain, e3))
    keep = b.labels != ''
    assert (a.fname == b.fname).all() and (a.labels[keep] == b.labels[keep]).all()   # only the emptied rows differ

def test_n_empty_in_a_reused_dest_rebuilds_it(tmp_path, tmp_cache, capsys):
    pascal_2007('synthetic', dest=tmp_path/'voc', n_train=8, n_test=0)
    root = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=8, n_test=0, n_empty=2)
    assert 'rebuilding it' in capsys.readouterr().out
    assert (read_labels_csv(root/'train.csv').labels == '').sum() == 2

@pytest.mark.parametrize('n_empty', [-1, 9])
def test_n_empty_out_of_range_is_refused(tmp_cache, n_empty):
    with pytest.raises(ValueError, match='n_empty must be between 0 and n_train=8'): pascal_2007('synthetic', n_train=8, n_test=0, n_empty=n_empty)

def test_empty_labels_give_all_zero_targets(tmp_path, tmp_cache):
    from fastai.vision.all import DataBlock, ImageBlock, MultiCategoryBlock, ColReader, ColSplitter
    root = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=10, n_test=0, n_empty=3)
    df = read_labels_csv(root/'train.csv')
    dsets = DataBlock(blocks=(ImageBlock, MultiCategoryBlock(vocab=data.VOC_CLASSES)), splitter=ColSplitter('is_valid'),
                      get_x=ColReader('fname', pref=root/'train'), get_y=ColReader('labels', label_delim=' ')).datasets(df)
    ys = [y for ds in (dsets.train, dsets.valid) for _,y in ds]
    assert sum(int(y.sum() == 0) for y in ys) == 3 and all(len(y) == 20 for y in ys)

# ---- item 7: caches follow the files they were made from ----

def _later(): time.sleep(.02)   # some file systems tick their clocks every few ms

def test_same_size_damage_in_a_stand_in_is_caught_and_repaired(tmp_path, tmp_cache, capsys):
    root = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=6, n_test=0)
    f = sorted((root/'train').glob('*.jpg'))[0]; good = f.read_bytes()
    _later(); f.write_bytes(good[:-10] + b'\0'*10)                  # same size, other bytes
    assert not dataset_is_complete(root)
    root = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=6, n_test=0)
    assert f.read_bytes() == good and dataset_is_complete(root)

def test_resized_cache_is_remade_after_an_image_is_replaced(tmp_path, tmp_cache):
    from fastai_ch6.images import small_images
    voc = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=4, n_test=0)
    f = sorted((voc/'train').glob('*.jpg'))[0]
    def red(): px = Image.open(small_images(voc, 16, n_workers=0)/'train'/f.name).getpixel((8, 8)); return px[0] > 200 and max(px[1:]) < 60
    assert not red()
    _later(); Image.new('RGB', (500, 375), (255, 0, 0)).save(f)      # the user replaces train/<first>.jpg
    assert red()

def test_same_size_damage_in_the_resized_cache_is_caught(tmp_path, tmp_cache):
    from fastai_ch6.images import small_images
    voc = pascal_2007('synthetic', dest=tmp_path/'voc', n_train=4, n_test=0)
    small = small_images(voc, 16, n_workers=0)
    f = sorted((small/'train').glob('*.jpg'))[0]; good = f.read_bytes()
    _later(); f.write_bytes(good[:-10] + b'\0'*10)
    assert small_images(voc, 16, n_workers=0) == small and f.read_bytes() == good

# ---- items 3, 11, 12, 16: train.csv ----

def _csv(tmp_path, text, files=None):
    "train.csv with `text`, beside a train/ of empty images: those its rows name, unless `files` is given."
    (tmp_path/'train').mkdir(exist_ok=True)
    for n in ([l.split(',')[0] for l in text.splitlines()[1:]] if files is None else files):
        if n and '/' not in n and '\\' not in n and n != '..': (tmp_path/'train'/n).touch()
    f = tmp_path/'train.csv'; f.write_text(text); return f

@pytest.mark.parametrize('name,why', [('../../../etc/passwd', "climbs out of train/ with '..'"),
                                      ('/etc/passwd', 'is an absolute path'),
                                      ('C:\\Windows\\win.ini', 'is an absolute path'),
                                      ('sub/000002.jpg', 'is in a sub-folder'),
                                      ('sub\\000002.jpg', 'is in a sub-folder'),
                                      ('..', "climbs out of train/")])
def test_fname_outside_train_is_rejected(tmp_path, name, why):
    f = _csv(tmp_path, f'fname,labels,is_valid\n000005.jpg,dog,False\n{name},cat,True\n')
    with pytest.raises(DataFormatError) as e: read_labels_csv(f)
    msg = str(e.value)
    assert f"{f}, row 3, column 'fname': {name!r} {why}" in msg and "Write only the image's file name" in msg

@pytest.mark.parametrize('cell', ['dog  cat', '"dog\tcat"', '" dog \t cat "'])
def test_labels_are_rejoined_with_one_space(tmp_path, cell):
    from fastai.data.transforms import ColReader
    df = read_labels_csv(_csv(tmp_path, f'fname,labels,is_valid\n000005.jpg,{cell},False\n'), vocab=data.VOC_CLASSES)
    assert df.labels.tolist() == ['dog cat']
    assert ColReader('labels', label_delim=' ')(df.iloc[0]) == ['dog', 'cat']   # what fastai's get_y makes of it

def test_fname_case_must_match_the_disk(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg,dog,False\n000002.JPG,cat,True\n', files=['000005.jpg', '000002.jpg'])
    with pytest.raises(DataFormatError) as e: read_labels_csv(f)
    assert f"{f}, row 3, column 'fname': '000002.JPG' is not in train/; the file on disk is '000002.jpg'" in str(e.value)
    assert 'case-sensitive' in str(e.value)

def test_missing_image_is_named(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg,dog,False\n000007.jpg,cat,True\n000009.jpg,cat,True\n', files=['000005.jpg'])
    with pytest.raises(DataFormatError, match=r"row 3, column 'fname': '000007.jpg' is not in train/; add the image .* \(1 more row names a missing image\.\)"):
        read_labels_csv(f)

def test_spaces_around_a_file_name_are_named(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg ,dog,False\n', files=['000005.jpg'])
    with pytest.raises(DataFormatError, match=r"row 2, column 'fname': '000005.jpg ' is not in train/; the file on disk is '000005.jpg': remove the spaces"):
        read_labels_csv(f)

@pytest.mark.filterwarnings('error::FutureWarning')   # pandas warns where its next versions raise "Invalid value 'True' for dtype 'int64'"
@pytest.mark.parametrize('yes,no', [('1', '0'), ('1.0', '0.0'), ('True ', ' False'), ('TRUE', 'false'), ('True', '0.0'), ('1', 'False'),
                                    ('yes', 'no'), ('True', 'False')])
def test_is_valid_forms(tmp_path, yes, no):
    df = read_labels_csv(_csv(tmp_path, f'fname,labels,is_valid\n000005.jpg,dog,{yes}\n000007.jpg,cat,{no}\n000009.jpg,cat,{no}\n'))
    assert df.is_valid.dtype == bool and df.is_valid.tolist() == [True, False, False]

@pytest.mark.parametrize('cell,what', [('2', "'2' is not a boolean"), ('0.5', "'0.5' is not a boolean"), ('', 'the cell is empty'),
                                       ('maybe', "'maybe' is not a boolean")])
def test_bad_is_valid_names_row_and_column(tmp_path, cell, what):
    f = _csv(tmp_path, f'fname,labels,is_valid\n000005.jpg,dog,1\n000007.jpg,cat,{cell}\n')
    with pytest.raises(DataFormatError, match=f"row 3, column 'is_valid': {what}. Use True or False"): read_labels_csv(f)

def test_duplicate_in_train_and_valid_is_rejected_naming_rows(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg,dog,False\n000007.jpg,cat,False\n000005.jpg,dog,True\n')
    with pytest.raises(DataFormatError) as e: read_labels_csv(f)
    assert f"{f}, rows 2 and 4, column 'fname': '000005.jpg' is listed 2 times, as a training row and as a validation row" in str(e.value)

def test_duplicate_in_one_split_is_rejected_too(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg,dog,False\n000005.jpg,dog,False\n000007.jpg,cat,True\n000007.jpg,cat,True\n')
    with pytest.raises(DataFormatError, match=r"rows 2 and 3, column 'fname': '000005.jpg' is listed 2 times\. List each image once \(1 other file name is listed more than once too\)"):
        read_labels_csv(f)

def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    f = _csv(tmp_path, 'fname,labels,is_valid\n000005.jpg,dog,False\n\n000007.jpg,cat,maybe\n')
    with pytest.raises(DataFormatError, match="row 4, column 'is_valid'"): read_labels_csv(f)

# ---- items 11 and 16: a BIWI folder checked up front ----

@pytest.fixture(scope='module')
def biwi(tmp_path_factory):
    return biwi_head_pose('synthetic', dest=tmp_path_factory.mktemp('b')/'biwi', frames_per_person=2)

def _copy(biwi, tmp_path, people):
    for p in people: shutil.copytree(biwi/p, tmp_path/p)
    return tmp_path

def test_check_biwi_passes_a_good_folder(biwi):
    assert check_biwi(biwi) == biwi

def test_check_biwi_counts_bad_files_and_names_the_first(biwi, tmp_path):
    d = _copy(biwi, tmp_path, ['01', '02', '13'])
    poses = sorted((d/'02').glob('*_pose.txt'))
    poses[0].write_text('1 0 0\n0 1 0\n')                                  # truncated
    poses[1].write_text(pose_text(np.eye(3), (10, 20, -900)))         # behind the camera
    (d/'13'/'rgb.cal').write_text('not a calibration\n')
    sorted((d/'01').glob('*_pose.txt'))[1].unlink()                        # missing
    with pytest.raises(DataFormatError) as e: check_biwi(d)
    msg = str(e.value)
    assert msg.startswith(f'{d}: 4 bad BIWI files; the first: ') and 'pose file of' in msg and 'is missing' in msg, msg

def test_check_biwi_only_the_validation_person(biwi, tmp_path):
    d = _copy(biwi, tmp_path, ['13'])
    with pytest.raises(DataFormatError, match='no training people: only folder 13 has frames'): check_biwi(d)

def test_check_biwi_without_the_validation_person(biwi, tmp_path):
    d = _copy(biwi, tmp_path, ['01', '02'])
    with pytest.raises(DataFormatError, match=r"no frames of person '13' to validate on \(found folders 01, 02\)"): check_biwi(d)
    assert check_biwi(d, valid_person='02') == d

def test_check_biwi_binary_pose_file(biwi, tmp_path):
    d = _copy(biwi, tmp_path, ['01', '13'])
    p = sorted((d/'01').glob('*_pose.txt'))[0]; p.write_bytes(b'\xff\xfe\x00garbage')
    with pytest.raises(DataFormatError, match=f'1 bad BIWI file; the first: {p}: not a text file'): check_biwi(d)
