"""Run the book's own chapter 6 notebook (fastbook's `06_multicat.ipynb`) offline, on the course's stand-ins and body.

Give it the notebook from a clone of the book's repository (github.com/fastai/fastbook); this script fetches nothing
and the project holds none of the book's code. In the book's code cells it changes only this, by exact text, and
stops with one line naming the pattern when one is not there:

    untar_data(URLs.PASCAL_2007)     ->  pascal_2007()       (the PASCAL stand-in)
    untar_data(URLs.BIWI_HEAD_POSE)  ->  biwi_head_pose()    (the BIWI stand-in)
    resnet50, resnet18 (whole words) ->  course_resnet       (the course's pretrained body, no ImageNet download)

and it drops two kinds of line: shell lines (`! [ -e /content ] && pip install -Uqq fastbook`, which installs fastbook
on Colab) and the `fastbook.setup_book()` call (it only mounts Google Drive on Colab). The book's cells set no threads
and no speed settings; torch's defaults for the machine apply.

The runner's own cells (metadata `book_chapter.role` is 'setup' or 'measure', and their first line says so) are:
- one setup cell first: FASTAI_CH6_DATA=synthetic and the three names above, imported from fastai_ch6. With
  `--weights PTH`, `course_resnet` loads that body instead of the shipped one whenever the book's `vision_learner`
  asks for a pretrained body (a `functools.partial` of `course_resnet`, registered in fastai's `model_meta`).
- after the book's PASCAL `fine_tune(3, base_lr=3e-3, freeze_epochs=4)` cell: the validation `accuracy_multi` at
  thresh 0.2 (recomputed from `get_preds` and as the recorder printed it) and the macro mAP;
- after the book's BIWI `fine_tune(3, lr)` cell: the mean and 90th percentile of the centre error in pixels of the
  640x480 frame, and the same for always guessing the mean centre of the training frames.
They write `measurements.json` into the output folder.

`--epochs-cut` is a quick check of this runner only: it replaces the book's epochs by 1 frozen + 1 unfrozen epoch
(both tasks); its figures are not the book's and the table says so.

The notebook runs in a real Jupyter kernel (nbclient), one cell at a time, errors allowed: with fastai 2.8 the book's
`loss = loss_func(activs, y)` cell raises (`TypeError: no implementation found for
'torch.nn.functional.binary_cross_entropy_with_logits'` on a `TensorImage` and a `TensorMultiCategory`), as it does
upstream, and the cells after it do not need it. Each cell is timed and its error, if any, recorded. Written into `--out` (default: a new temporary folder; an existing folder must be empty):
the executed notebook, `table.md` (cell, first line, seconds, error; totals; results) and `results.json`.

Needs the book's own package, `fastbook` (what the book's first cell installs), and nbclient with ipykernel:
`pip install -c constraints.txt -e ".[dev,book]"`. fastbook is an extra of its own, `book`, not part of `dev`: it brings
Hugging Face's transformers and datasets, which no test needs.

Run: python bench/book_chapter.py PATH/TO/fastbook/06_multicat.ipynb [--out DIR] [--weights PTH] [--epochs-cut] [--timeout S]
"""
import argparse, hashlib, json, os, re, sys, tempfile, time
from pathlib import Path

SUBSTITUTIONS = (('untar_data(URLs.PASCAL_2007)', 'pascal_2007()'),
                 ('untar_data(URLs.BIWI_HEAD_POSE)', 'biwi_head_pose()'))
RENAMES = (('resnet50', 'course_resnet'), ('resnet18', 'course_resnet'))     # whole words only
DROPPED_CALL = 'fastbook.setup_book()'
PASCAL_FIT = 'learn.fine_tune(3, base_lr=3e-3, freeze_epochs=4)'              # the book's PASCAL training
BIWI_FIT = 'learn.fine_tune(3, lr)'                                          # the book's BIWI training
EPOCHS_CUT = {PASCAL_FIT: 'learn.fine_tune(1, base_lr=3e-3, freeze_epochs=1)', BIWI_FIT: 'learn.fine_tune(1, lr, freeze_epochs=1)'}
MEASUREMENTS = 'measurements.json'
TARGETS = dict(accuracy_multi=0.95, center_mean_px=5.0, total_minutes=30.0)  # the bar for the book's epochs

class BookRunError(Exception):
    "Something about the inputs that stops the run; its message is one line."

def _role(cell): return cell.metadata.get('book_chapter', {}).get('role', 'book')

def book_cells(nb, epochs_cut=False):
    """The book's notebook with only the substitutions and dropped lines above, and a list of what changed.
    Raises `BookRunError` naming the first pattern that no code cell contains."""
    import nbformat
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))          # a copy: the caller's notebook stays as read
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == 'code']
    changes, found = [], {}
    def need(pattern, where):
        if not found.get(pattern): raise BookRunError(f"no code cell of the book's notebook contains {where}: "
                                                      f"is this fastbook's 06_multicat.ipynb? (the runner substitutes it by exact text)")
    for i, c in code:
        c.metadata['book_chapter'] = dict(role='book', book_cell=i)
        c.outputs, c.execution_count = [], None                   # the book's printed outputs are not this run's
        lines, kept = c.source.split('\n'), []
        for line in lines:
            if line.lstrip().startswith('!') or line.strip() == DROPPED_CALL: changes.append(dict(book_cell=i, dropped=line)); continue
            kept.append(line)
        src = '\n'.join(kept)
        for old, new in SUBSTITUTIONS:
            if old in src: found[old] = True; changes.append(dict(book_cell=i, replaced=old, by=new)); src = src.replace(old, new)
        for old, new in RENAMES:
            src, n = re.subn(rf'\b{old}\b', new, src)
            if n: found[old] = True; changes.append(dict(book_cell=i, replaced=old, by=new))
        for fit in (PASCAL_FIT, BIWI_FIT):
            if fit in src:
                found[fit] = True
                if epochs_cut: src = src.replace(fit, EPOCHS_CUT[fit]); changes.append(dict(book_cell=i, replaced=fit, by=EPOCHS_CUT[fit], epochs_cut=True))
        c.source = src
    for old, _ in SUBSTITUTIONS: need(old, f"`{old}`")
    for old, _ in RENAMES: need(old, f"the name `{old}`")
    for fit in (PASCAL_FIT, BIWI_FIT): need(fit, f"the training call `{fit}`")
    return nb, changes

def _runner_cell(source, role, **meta):
    import nbformat
    c = nbformat.v4.new_code_cell(source)
    c.metadata['book_chapter'] = dict(role=role, **meta)
    return c

def setup_source(out, weights=None):
    "The runner's setup cell: the stand-ins and `course_resnet` (loading `weights` when given), and where measurements go."
    src = ("# book_chapter.py setup (the runner's cell, not the book's): the course's stand-ins and body under the book's names\n"
           "import os\n"
           "os.environ['FASTAI_CH6_DATA'] = 'synthetic'\n"
           "from fastai_ch6.sources import pascal_2007, biwi_head_pose\n"
           "from fastai_ch6.models import course_resnet\n")
    if weights is not None:
        src += (f"import functools as _functools\n"
                f"from fastai.vision.all import model_meta as _model_meta\n"
                f"_BOOK_RUN_WEIGHTS = {str(weights)!r}\n"
                f"_shipped_course_resnet = course_resnet\n"
                f"course_resnet = _functools.update_wrapper(_functools.partial(_shipped_course_resnet, weights=_BOOK_RUN_WEIGHTS), _shipped_course_resnet)\n"
                f"_model_meta[course_resnet] = {{**_model_meta[_shipped_course_resnet], 'weights': _BOOK_RUN_WEIGHTS}}   # vision_learner passes meta['weights']\n")
    src += (f"_BOOK_RUN_MEASUREMENTS = {str(Path(out)/MEASUREMENTS)!r}\n"
            "def _book_run_record(key, value):\n"
            "    import json, os\n"
            "    try: d = json.load(open(_BOOK_RUN_MEASUREMENTS))\n"
            "    except FileNotFoundError: d = {}\n"
            "    d[key] = value; tmp = _BOOK_RUN_MEASUREMENTS + '.tmp'\n"
            "    with open(tmp, 'w') as f: json.dump(d, f, indent=1)\n"
            "    os.replace(tmp, _BOOK_RUN_MEASUREMENTS)\n"
            "    return value")
    return src

PASCAL_MEASURE = """# book_chapter.py measurement (the runner's cell, not the book's): PASCAL after the book's fine_tune
import torch as _torch
from fastai.metrics import accuracy_multi as _accuracy_multi
from fastai_ch6.metrics import mean_average_precision as _mean_average_precision
_last = dict(zip(learn.recorder.metric_names[1:-1], map(float, learn.recorder.values[-1])))   # before get_preds resets the recorder
_preds, _targs = learn.get_preds()
_book_run_record('pascal', dict(
    accuracy_multi_thresh_0_2=float(_accuracy_multi(_preds, _targs, thresh=0.2, sigmoid=False)), recorder_last=_last,
    mAP=float(_mean_average_precision(_preds, _targs)),
    n_train=len(learn.dls.train_ds), n_valid=len(_targs), torch_threads=_torch.get_num_threads()))"""

BIWI_MEASURE = """# book_chapter.py measurement (the runner's cell, not the book's): BIWI after the book's fine_tune
import torch as _torch
from fastai.vision.all import PILImage as _PILImage
from fastai_ch6.regression import center_distances_px as _center_distances_px
_last = dict(zip(learn.recorder.metric_names[1:-1], map(float, learn.recorder.values[-1])))   # before get_preds resets the recorder
_preds, _targs = learn.get_preds()                        # centres scaled to [-1, 1] by PointBlock
_dist = _center_distances_px(_preds, _targs)              # pixels of the original frame
_frame = _torch.tensor(_PILImage.create(learn.dls.valid_ds.items[0]).size, dtype=_torch.float)   # (width, height)
_train_px = _torch.stack([_torch.as_tensor(learn.dls.train_ds.tls[1][_i]).float().view(2) for _i in range(len(learn.dls.train_ds))])
_guess = (_train_px.mean(0)/(_frame/2) - 1).expand(len(_dist), 2)          # always the mean training centre, scaled
_guess_dist = _center_distances_px(_guess, _targs)
_book_run_record('biwi', dict(
    center_mean_px=float(_dist.mean()), center_p90_px=float(_dist.quantile(0.9)),
    mean_guess_mean_px=float(_guess_dist.mean()), mean_guess_p90_px=float(_guess_dist.quantile(0.9)),
    recorder_last=_last, frame=[int(v) for v in _frame], n_train=len(learn.dls.train_ds), n_valid=len(_targs),
    torch_threads=_torch.get_num_threads()))"""

def runner_notebook(nb, out, weights=None, epochs_cut=False):
    "The book's notebook with the substitutions, the runner's setup cell first, and a measurement cell after each training cell."
    nb, changes = book_cells(nb, epochs_cut)
    cells = [_runner_cell(setup_source(out, weights), 'setup')]
    fits = {PASCAL_FIT: ('pascal', PASCAL_MEASURE), BIWI_FIT: ('biwi', BIWI_MEASURE)}
    if epochs_cut: fits = {EPOCHS_CUT[k]: v for k, v in fits.items()}
    for c in nb.cells:
        cells.append(c)
        for fit, (task, src) in fits.items():
            if c.cell_type == 'code' and fit in c.source: cells.append(_runner_cell(src, 'measure', task=task))
    nb.cells = cells
    return nb, changes

def _first_line(src):
    lines = [l for l in src.split('\n') if l.strip() and not l.startswith('# book_chapter.py')] or [src.split('\n')[0]]
    return lines[0].strip()

def execute(nb, cwd, timeout=None, kernel_name='python3'):
    """Run `nb` in place in a new Jupyter kernel started in `cwd`, one code cell at a time, errors allowed.
    Returns (rows, seconds the kernel took to start); a row: cell, role, book_cell, first_line, seconds, error (or None).
    A cell that runs past `timeout` seconds stops the run; the cells after it are listed as not run."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True, interrupt_on_timeout=False,
                            resources={'metadata': {'path': str(cwd)}})
    rows, stop, t0 = [], None, time.perf_counter()
    with client.setup_kernel():
        start_s = time.perf_counter() - t0
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code' or not cell.source.strip(): continue
            row = dict(cell=i, role=_role(cell), book_cell=cell.metadata.get('book_chapter', {}).get('book_cell'),
                       first_line=_first_line(cell.source), seconds=None, error=None)
            rows.append(row)
            if stop: row['error'] = f'not run ({stop})'; continue
            t = time.perf_counter()
            try: client.execute_cell(cell, i)
            except CellTimeoutError: stop = row['error'] = f'ran past --timeout {timeout} s'
            except DeadKernelError: stop = row['error'] = 'the kernel died (out of memory?)'
            row['seconds'] = time.perf_counter() - t
            err = next((o for o in cell.get('outputs', []) if o.get('output_type') == 'error'), None)
            if err is not None and not row['error']:
                row['error'] = f"{err.get('ename', 'Error')}: {(str(err.get('evalue', '')).strip().splitlines() or [''])[0]}"
    return rows, start_s

def _cell_text(s, n=70):
    s = s.replace('|', '\\|').replace('`', "'")
    return s if len(s) <= n else s[:n-1] + '…'

def table(rows, start_s, wall_s, measurements=None, epochs_cut=False, meta=None):
    "The markdown report: one row per code cell, then the totals and the measurements."
    lines = []
    if epochs_cut: lines += ["**--epochs-cut: 1 frozen + 1 unfrozen epoch instead of the book's epochs. These are NOT the book's figures.**", ""]
    lines += ['| cell | book cell | first line | seconds | error |', '|---:|---:|---|---:|---|']
    for r in rows:
        who = '' if r['role'] == 'book' else f"({r['role']}) "
        sec = '' if r['seconds'] is None else f"{r['seconds']:.1f}"
        lines.append(f"| {r['cell']} | {'' if r['book_cell'] is None else r['book_cell']} | `{_cell_text(who + r['first_line'])}` | {sec} | {_cell_text(r['error'] or '', 90)} |")
    book = sum(r['seconds'] or 0 for r in rows if r['role'] == 'book')
    runner = sum(r['seconds'] or 0 for r in rows if r['role'] != 'book')
    errors = [r for r in rows if r['error']]
    lines += ['', f"Totals: the book's cells {book:.0f} s ({book/60:.1f} min), the runner's cells {runner:.0f} s, kernel start {start_s:.0f} s, "
                  f"whole run {wall_s:.0f} s ({wall_s/60:.1f} min); {len(errors)} cell(s) raised: "
                  + (', '.join(str(r['cell']) for r in errors) or 'none') + '.']
    m = measurements or {}
    epochs = dict(pascal='1 frozen + 1 epoch, CUT', biwi='1 frozen + 1 epoch, CUT') if epochs_cut else dict(pascal='4 frozen + 3 epochs', biwi='1 frozen + 3 epochs')
    if 'pascal' in m:
        p = m['pascal']
        lines.append(f"PASCAL ({epochs['pascal']}, {p['n_train']} training / {p['n_valid']} validation images): accuracy_multi at thresh 0.2 "
                     f"{p['accuracy_multi_thresh_0_2']:.4f} (recorder: {p['recorder_last'].get('accuracy_multi', float('nan')):.4f}), mAP {p['mAP']:.4f}.")
    else: lines.append('PASCAL: no measurement (its cell did not run or raised).')
    if 'biwi' in m:
        b = m['biwi']
        lines.append(f"BIWI ({epochs['biwi']}, {b['n_train']} training / {b['n_valid']} validation frames): centre error mean {b['center_mean_px']:.2f} px, "
                     f"90th percentile {b['center_p90_px']:.2f} px of the {b['frame'][0]}x{b['frame'][1]} frame; always guessing the mean training centre: "
                     f"mean {b['mean_guess_mean_px']:.2f} px, 90th percentile {b['mean_guess_p90_px']:.2f} px.")
    else: lines.append('BIWI: no measurement (its cell did not run or raised).')
    ok = lambda c: 'yes' if c else 'no'
    lines.append(f"The issue's bar{' (for the book epochs; this run is cut)' if epochs_cut else ''}: accuracy_multi >= {TARGETS['accuracy_multi']}: "
                 f"{ok('pascal' in m and m['pascal']['accuracy_multi_thresh_0_2'] >= TARGETS['accuracy_multi'])}; "
                 f"BIWI mean <= {TARGETS['center_mean_px']:g} px: {ok('biwi' in m and m['biwi']['center_mean_px'] <= TARGETS['center_mean_px'])}; "
                 f"whole run <= {TARGETS['total_minutes']:g} min: {ok(wall_s <= 60*TARGETS['total_minutes'])}.")
    if meta: lines.append('Machine: ' + ', '.join(f'{k} {v}' for k, v in meta.items()) + '.')
    return '\n'.join(lines) + '\n'

def _out_folder(out):
    if out is None: return Path(tempfile.mkdtemp(prefix='book_chapter-'))
    out = Path(out)
    if out.exists() and not out.is_dir(): raise BookRunError(f"--out {out}: is a file; give a new or empty folder.")
    if out.is_dir() and any(out.iterdir()): raise BookRunError(f"--out {out}: the folder is not empty; give a new or empty folder (nothing in it was touched).")
    out.mkdir(parents=True, exist_ok=True)
    return out

def _write(fname, text):
    tmp = fname.with_name(f'.{fname.name}.tmp'); tmp.write_text(text); os.replace(tmp, fname)

def _read_notebook(path):
    import nbformat
    path = Path(path)
    if not path.is_file(): raise BookRunError(f"{path}: no such notebook; give the path of 06_multicat.ipynb in a clone of github.com/fastai/fastbook.")
    try: return nbformat.read(path, as_version=4)
    except Exception as e: raise BookRunError(f"{path}: not a readable notebook ({type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:120]}).") from None

def _check_weights(weights):
    w = Path(weights).resolve()
    if not w.is_file(): raise BookRunError(f"--weights {weights}: no such file; give a course_resnet body saved by `ch6 pretrain`, or leave --weights out for the shipped one.")
    from fastai_ch6.models import course_resnet
    try: course_resnet(weights=w)
    except (ValueError, FileNotFoundError) as e: raise BookRunError(f"--weights {weights}: {e}") from None
    return w

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebook', help="06_multicat.ipynb from a clone of github.com/fastai/fastbook")
    ap.add_argument('--out', help='folder for the executed notebook, table.md and results.json: new or empty (default: a new temporary folder)')
    ap.add_argument('--weights', help="a course_resnet body file to use instead of the shipped one")
    ap.add_argument('--epochs-cut', action='store_true', help="1 frozen + 1 epoch instead of the book's: checks the runner, not the book")
    ap.add_argument('--timeout', type=float, default=None, help='seconds one cell may run before the run stops (default: no limit)')
    a = ap.parse_args(argv)
    try:
        if a.timeout is not None and a.timeout <= 0: raise BookRunError(f"--timeout {a.timeout:g}: give a positive number of seconds.")
        nb = _read_notebook(a.notebook)
        book_cells(nb)                                       # every pattern is there, before anything is made
        weights = _check_weights(a.weights) if a.weights else None
        out = _out_folder(a.out)
    except BookRunError as e: sys.exit(f"book_chapter.py: {e}")
    run_nb, changes = runner_notebook(nb, out.resolve(), weights, a.epochs_cut)
    _write(out/f'{Path(a.notebook).stem}.runner.ipynb', json.dumps(run_nb, indent=1))
    load_before = os.getloadavg()
    print(f"running {a.notebook} in {out} ({'EPOCHS CUT: not the book' if a.epochs_cut else 'the book'}'s epochs) ...", flush=True)
    t = time.perf_counter()
    rows, start_s = execute(run_nb, out, a.timeout)
    wall_s = time.perf_counter() - t
    try: measurements = json.loads((out/MEASUREMENTS).read_text())
    except FileNotFoundError: measurements = {}
    meta = dict(cpus=os.cpu_count(), load_average_before=' '.join(f'{v:.1f}' for v in load_before),
                load_average_after=' '.join(f'{v:.1f}' for v in os.getloadavg()))
    _write(out/f'{Path(a.notebook).stem}.executed.ipynb', json.dumps(run_nb, indent=1))
    md = table(rows, start_s, wall_s, measurements, a.epochs_cut, meta)
    _write(out/'table.md', md)
    _write(out/'results.json', json.dumps(dict(
        notebook=str(Path(a.notebook).resolve()), notebook_sha256=hashlib.sha256(Path(a.notebook).read_bytes()).hexdigest(),
        epochs_cut=a.epochs_cut, weights=str(weights) if weights else 'shipped', changes=changes, cells=rows,
        kernel_start_s=start_s, wall_s=wall_s, measurements=measurements, machine=meta), indent=1))
    print(md, flush=True)
    print(f"written to {out}: table.md, results.json, {Path(a.notebook).stem}.executed.ipynb")
    return out

if __name__ == '__main__': main()
