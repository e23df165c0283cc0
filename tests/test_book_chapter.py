"bench/book_chapter.py: the substitutions it makes in the book's notebook, its errors, and its timed run in a real Jupyter kernel (on small notebooks made here, never the book's)."
import importlib.util, json, re
from pathlib import Path
import nbformat, pytest, torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

_spec = importlib.util.spec_from_file_location('book_chapter', Path(__file__).parents[1]/'bench'/'book_chapter.py')
bc = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(bc)

BOOK_LIKE = [  # the shapes of the book's cells that the runner changes, and some it must leave alone
    new_code_cell("#hide\n! [ -e /content ] && pip install -Uqq fastbook\nimport fastbook\nfastbook.setup_book()"),
    new_markdown_cell("We use a resnet50 and untar_data(URLs.PASCAL_2007) here."),
    new_code_cell("from fastai.vision.all import *\npath = untar_data(URLs.PASCAL_2007)"),
    new_code_cell("learn = vision_learner(dls, resnet18)\nmy_resnet18x = resnet18_2 = 1"),
    new_code_cell("learn = vision_learner(dls, resnet50, metrics=partial(accuracy_multi, thresh=0.2))\n"
                  "learn.fine_tune(3, base_lr=3e-3, freeze_epochs=4)"),
    new_code_cell("path = untar_data(URLs.BIWI_HEAD_POSE)"),
    new_code_cell("lr = 1e-2\nlearn.fine_tune(3, lr)"),
    new_code_cell("math.sqrt(0.0001)", outputs=[nbformat.v4.new_output('execute_result', {'text/plain': '0.01'}, execution_count=7)], execution_count=7)]

def book_like(drop=None):
    nb = new_notebook(cells=[nbformat.from_dict(json.loads(json.dumps(c))) for c in BOOK_LIKE])
    for c in nb.cells:
        if drop and c.cell_type == 'code': c.source = c.source.replace(drop, 'something_else')
    return nb

def test_substitutions(tmp_path):
    nb = book_like(); before = json.dumps(nb)
    run, changes = bc.runner_notebook(nb, tmp_path)
    assert json.dumps(nb) == before                                  # the notebook as read is left alone
    setup, *rest = run.cells
    assert setup.metadata['book_chapter']['role'] == 'setup'
    assert "os.environ['FASTAI_CH6_DATA'] = 'synthetic'" in setup.source
    assert 'from fastai_ch6.sources import pascal_2007, biwi_head_pose' in setup.source and 'from fastai_ch6.models import course_resnet' in setup.source
    src = [c.source for c in rest]
    assert src[0] == '#hide\nimport fastbook'                         # the shell line and setup_book() are gone, nothing else
    assert src[1] == BOOK_LIKE[1].source                              # prose is not code: unchanged
    assert src[2] == 'from fastai.vision.all import *\npath = pascal_2007()'
    assert src[3] == 'learn = vision_learner(dls, course_resnet)\nmy_resnet18x = resnet18_2 = 1'   # whole words only
    assert src[4].startswith('learn = vision_learner(dls, course_resnet, metrics=') and src[4].endswith(bc.PASCAL_FIT)
    assert rest[5].metadata['book_chapter'] == dict(role='measure', task='pascal') and "_book_run_record('pascal'" in src[5]
    assert src[6] == 'path = biwi_head_pose()'
    assert src[7] == 'lr = 1e-2\nlearn.fine_tune(3, lr)'
    assert rest[8].metadata['book_chapter'] == dict(role='measure', task='biwi') and 'center_distances_px' in src[8]
    assert src[9] == 'math.sqrt(0.0001)' and rest[9].outputs == [] and rest[9].execution_count is None   # the book's outputs are not this run's
    book = [c for c in rest if c.cell_type == 'code' and c.metadata['book_chapter']['role'] == 'book']
    assert [c.metadata['book_chapter']['book_cell'] for c in book] == [0, 2, 3, 4, 5, 6, 7]
    assert not any('fastai_ch6' in c.source for c in book)            # nothing of the course in the book's cells
    assert {'book_cell': 0, 'dropped': 'fastbook.setup_book()'} in changes

def test_epochs_cut(tmp_path):
    run, changes = bc.runner_notebook(book_like(), tmp_path, epochs_cut=True)
    src = '\n'.join(c.source for c in run.cells)
    assert 'learn.fine_tune(1, base_lr=3e-3, freeze_epochs=1)' in src and 'learn.fine_tune(1, lr, freeze_epochs=1)' in src
    assert bc.PASCAL_FIT not in src and bc.BIWI_FIT not in src
    assert [c.metadata['book_chapter']['task'] for c in run.cells if bc._role(c) == 'measure'] == ['pascal', 'biwi']
    assert sum(bool(c.get('epochs_cut')) for c in changes) == 2

@pytest.mark.parametrize('missing', ['untar_data(URLs.PASCAL_2007)', 'untar_data(URLs.BIWI_HEAD_POSE)', 'resnet50', 'resnet18', bc.PASCAL_FIT, bc.BIWI_FIT])
def test_missing_pattern(tmp_path, missing):
    nb = book_like(drop=missing)
    with pytest.raises(bc.BookRunError, match=r'^no code cell .* contains .*' + re.escape(missing)) as e: bc.runner_notebook(nb, tmp_path)
    assert '\n' not in str(e.value)
    fname, out = tmp_path/'06_multicat.ipynb', tmp_path/'out'
    nbformat.write(nb, fname)
    with pytest.raises(SystemExit) as e: bc.main([str(fname), '--out', str(out)])
    assert str(e.value).startswith('book_chapter.py: no code cell') and missing in str(e.value) and '\n' not in str(e.value)
    assert not out.exists()                                           # stopped before making anything

def test_refuses_a_folder_in_use(tmp_path):
    fname, out = tmp_path/'06_multicat.ipynb', tmp_path/'mine'
    nbformat.write(book_like(), fname); out.mkdir(); (out/'notes.txt').write_text('mine')
    with pytest.raises(SystemExit, match='not empty'): bc.main([str(fname), '--out', str(out)])
    assert [p.name for p in out.iterdir()] == ['notes.txt'] and (out/'notes.txt').read_text() == 'mine'
    with pytest.raises(SystemExit, match='no such notebook'): bc.main([str(tmp_path/'nope.ipynb')])

def test_weights_reach_vision_learner(tmp_path):
    "With --weights, the body `vision_learner` builds for `course_resnet` is the file's, cut and normalised as the shipped one."
    from fastai.vision.all import create_vision_model, model_meta
    from fastai_ch6.models import course_resnet, weights_path, CORPUS_STATS
    sd = torch.load(weights_path(), weights_only=True)
    k = next(k for k, v in sd.items() if v.ndim == 4); sd[k] = sd[k] + 1
    torch.save(sd, tmp_path/'w.pth')
    ns = {}; exec(bc.setup_source(tmp_path, weights=tmp_path/'w.pth'), ns)
    arch = ns['course_resnet']
    assert arch.__name__ == 'course_resnet' and arch is not course_resnet
    assert model_meta[arch]['stats'] == CORPUS_STATS and model_meta[arch]['cut'] == model_meta[course_resnet]['cut']
    body = create_vision_model(arch, 20, pretrained=True)[0]        # as vision_learner calls it
    assert torch.equal(body.state_dict()[k], sd[k])
    assert not torch.equal(create_vision_model(course_resnet, 20, pretrained=True)[0].state_dict()[k], sd[k])

def test_execute_times_cells_and_records_errors(tmp_path):
    nb = new_notebook(cells=[new_code_cell('x = 40'), new_markdown_cell('prose'),
                             new_code_cell("raise ValueError('boom\\nsecond line')"), new_code_cell('x + 2'), new_code_cell('')],
                      metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}})
    rows, start_s = bc.execute(nb, tmp_path, timeout=120)
    assert [r['cell'] for r in rows] == [0, 2, 3]                     # code cells only, the empty one skipped
    assert [r['error'] for r in rows] == [None, 'ValueError: boom', None]
    assert all(r['seconds'] >= 0 for r in rows) and start_s > 0
    assert nb.cells[3].outputs[0]['data']['text/plain'] == '42'       # the run went on after the error
    md = bc.table(rows, start_s, 1.0)
    assert '| 2 |  | `raise ValueError(\'boom\\nsecond line\')` |' in md and '| ValueError: boom |' in md
    assert "1 cell(s) raised: 2." in md and 'PASCAL: no measurement' in md

def test_execute_stops_at_timeout(tmp_path):
    nb = new_notebook(cells=[new_code_cell('import time; time.sleep(60)'), new_code_cell('1')])
    rows, _ = bc.execute(nb, tmp_path, timeout=2)
    assert rows[0]['error'] == 'ran past --timeout 2 s'
    assert rows[1]['error'] == 'not run (ran past --timeout 2 s)' and rows[1]['seconds'] is None
