"""Build the documentation site into `_docs/` without Quarto (run through tools/build_docs.sh).

1. nbdev's own processing, as `nbdev_docs` runs it (`nbdev.serve.proc_nbs`): `nbs/` -> `_proc/`,
   `#| hide` and export cells removed, `show_doc` output added. nbdev's warning about a cell that
   mixes imports with other code is an error here: nbdev runs such cells while building the docs.
2. Checks: every `show_doc` produced its documentation.
3. tools/quarto_to_myst.py adapts each processed notebook for MyST-NB; they are staged in
   build/docs_src/ under the page names Quarto would give them, in the order of nbs/sidebar.yml
   (notebooks missing from it follow in file-name order). Each lesson gets "Open in Colab",
   "Download notebook" (the notebook itself, copied into the site under notebooks/) and "Source" links;
   each function's docs a "notebook" link, to the lesson notebook that defines it, beside "source".
4. Sphinx (myst-nb, sphinx-book-theme) renders them into `_docs/`; any warning is an error.
5. A stamp, `_docs/.build-stamp.json`, records what the site was built from (a hash of the sources
   and of the installed packages' versions), so that tests rebuild it when either changes.

Usage: python tools/build_docs.py [--skip-proc] [--workers N]
"""
import argparse, html, json, os, re, shutil, subprocess, sys, time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from colab_cells import course_requirement
from quarto_to_myst import adapt_notebook, anchors_of, doc_lookup, function_sources, page_name, sidebar_entries, src, md_cell

SRC, STATIC, DOCTREES = ROOT/'build'/'docs_src', ROOT/'build'/'docs_static', ROOT/'build'/'docs_doctrees'
EXTRA = ROOT/'build'/'docs_extra'          # copied as they are to the site's root: notebooks/, favicon.ico
STAMP = '.build-stamp.json'
MATHJAX = ROOT/'build'/'npm'/'node_modules'/'mathjax'/'es5'
# What the site needs of MathJax 3: the TeX-to-CommonHTML bundle, its fonts, and the pieces it loads on demand.
MATHJAX_PARTS = ['tex-chtml.js', 'input/tex', 'output/chtml', 'ui', 'a11y', 'adaptors']
QUARTO_ONLY = {'_quarto.yml', 'nbdev.yml', 'sidebar.yml', 'styles.css', '_brand.yml'}

class BuildError(Exception): pass

def _cfg():
    from nbdev.config import get_config
    return get_config(path=ROOT)

def mixed_import_cells(nbs_path):
    """Cells nbdev would warn about and run while building the docs: imports mixed with other code, in a
    notebook that documents exports. Found up front, all at once, with notebook and cell number."""
    import warnings
    from nbdev.process import NBProcessor
    from nbdev.processors import _do_eval
    from nbdev.doclinks import nbglob
    bad = []
    for f in sorted(nbglob(nbs_path, func=Path)):
        cells = NBProcessor(f, procs=[], rm_directives=False).nb.cells
        if not any(c.cell_type == 'code' and ({'export', 'exports', 'exporti'} & set(c.directives_)
                   or 'show_doc(' in c.source) for c in cells): continue
        for i, c in enumerate(cells, 1):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always')
                try: _do_eval(c)
                except SyntaxError: continue
            if any('imports and other code' in str(x.message) for x in w):
                bad.append(f"{f.relative_to(ROOT)}, cell {i}: {c.source.strip().splitlines()[0]}")
    return bad

def run_nbdev_processing(workers):
    "nbs/ -> _proc/ with nbdev's processors, in fresh worker processes, as `nbdev_proc_nbs` does minus installing Quarto."
    code = f"from nbdev.serve import proc_nbs; proc_nbs(n_workers={workers}, force=True)"
    env = {**os.environ, 'PYTHONWARNINGS': 'error::UserWarning:nbdev.processors'}
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode:
        err = r.stderr
        m = re.search(r'UserWarning: (Found cells containing imports and other code\..*?)\n---\n(.*?)\n---', err, re.S)
        if m:
            raise BuildError("nbdev: a notebook cell mixes imports with other code; nbdev executes such cells while "
                             "building the docs. Put the imports in a cell of their own (or in an exported cell). "
                             f"The cell:\n{m.group(2)}")
        tail = '\n'.join(l for l in err.splitlines()[-25:])
        raise BuildError(f"nbdev's processing (proc_nbs) failed:\n{tail}")

def check_show_docs(proc):
    "Every `show_doc(...)` cell of every processed notebook must have produced its markdown."
    bad = []
    for f in sorted(proc.glob('*.ipynb')):
        for i, c in enumerate(json.loads(f.read_text(encoding='utf-8'))['cells']):
            s = src(c)
            if c['cell_type'] != 'code' or not re.search(r'^show_doc\(', s, re.M): continue
            if not any('text/markdown' in o.get('data', {}) for o in c.get('outputs', [])):
                err = ' '.join(src({'source': o.get('text', '')}) for o in c.get('outputs', []) if o.get('output_type') == 'stream')
                last = [l for l in re.sub(r'\x1b\[[0-9;]*m', '', err).splitlines() if l.strip()][-1:] or ['no output']
                bad.append(f"{f.name}: `{s.strip().splitlines()[-1]}` rendered no documentation ({last[0].strip()})")
    if bad: raise BuildError("show_doc failed:\n  " + '\n  '.join(bad))

def reading_order(nbs_path, proc):
    "[(caption, [notebook names])]: nbs/sidebar.yml's order, then notebooks it does not list."
    sb = nbs_path/'sidebar.yml'
    groups = sidebar_entries(yaml.safe_load(sb.read_text()) if sb.exists() else {})
    have = {f.name for f in proc.glob('*.ipynb')}
    listed = [n for _, ns in groups for n in ns]
    missing = sorted(have - set(listed))
    if missing:
        print(f"note: not in nbs/sidebar.yml, added at the end of the sidebar: {', '.join(missing)}")
        if groups and groups[-1][0] is None: groups[-1][1].extend(missing)
        else: groups.append((None, missing))
    gone = [n for n in listed if n not in have]
    if gone: raise BuildError(f"nbs/sidebar.yml lists notebooks that do not exist: {', '.join(gone)}")
    if 'index.ipynb' not in have: raise BuildError("nbs/index.ipynb is missing: it is the site's front page")
    return groups

def page_anchors(proc, pages):
    "{page: anchors of its headings} from the processed notebooks (markdown cells and show_doc outputs)."
    out = {}
    for n, page in pages.items():
        texts = []
        for c in json.loads((proc/n).read_text(encoding='utf-8'))['cells']:
            if c['cell_type'] == 'markdown': texts.append(src(c))
            for o in c.get('outputs', []):
                if 'text/markdown' in o.get('data', {}): texts.append(src({'source': o['data']['text/markdown']}))
        out[page] = anchors_of(texts)
    return out

def object_info(name):
    "What the docs should say about a documented name that its show_doc signature cannot: a class and its bases."
    import importlib, inspect
    try: from fastai_ch6._modidx import d
    except ImportError: return None
    for mod, syms in d['syms'].items():
        if f'{mod}.{name}' not in syms: continue
        try:
            obj = importlib.import_module(mod)
            for part in name.split('.'): obj = getattr(obj, part)
        except Exception: return None
        if inspect.isclass(obj):
            return {'kind': 'class', 'bases': [b.__name__ for b in obj.__bases__ if b is not object]}
        return {'kind': 'function'}
    return None

def lesson_links(nb_name, cfg):
    "The line under a lesson's title: Colab, the notebook itself, its source; and how to run it offline."
    repo = cfg.git_url.rstrip('/').split('github.com/')[-1]
    colab = f"https://colab.research.google.com/github/{repo}/blob/{cfg.branch}/{cfg.nbs_path.name}/{nb_name}"
    source = f"{cfg.git_url.rstrip('/')}/blob/{cfg.branch}/{cfg.nbs_path.name}/{nb_name}"
    return (f'<p class="ch6-lesson-links"><a href="{colab}" target="_blank" rel="noopener">Open in Colab</a> · '
            f'<a href="notebooks/{nb_name}" download>Download notebook</a> · '
            f'<a href="{source}" target="_blank" rel="noopener">Source</a></p>\n\n'
            f'<p class="ch6-offline-note">In Colab the notebook\'s first cell installs the course. A notebook downloaded on '
            f'its own needs it first: <code>pip install "{html.escape(course_requirement(cfg, "lessons"))}"</code>. '
            f'Offline, the notebook runs on the course\'s stand-in datasets: '
            f'<code>FASTAI_CH6_DATA=synthetic jupyter lab</code>.</p>\n')

def link_notebook_from_docs(nb, nb_name, cfg):
    """Beside each function's `source` link (the generated module, as nbdev links it), a `notebook` link to the lesson
    notebook that defines and teaches it, the real source: `fastai_ch6/*.py` is generated from it."""
    url = f"{cfg.git_url.rstrip('/')}/blob/{cfg.branch}/{cfg.nbs_path.name}/{nb_name}"
    link = (f'<a href="{url}" target="_blank" rel="noopener" class="ch6-notebook-link" '
            'style="float:right; font-size:smaller; margin-right:.8em">notebook</a>')
    for c in nb['cells']:
        if c.get('metadata', {}).get('ch6_show_doc'):
            c['source'] = re.sub(r'(<a [^>]*>source</a>)', lambda m: m.group(1) + link, c['source'], count=1)
    return nb

def favicon_ico(svg_dest):
    "A 32x32 favicon.ico beside the SVG one, for browsers that ask for /favicon.ico."
    from PIL import Image, ImageDraw
    im = Image.new('RGBA', (64, 64), (0, 0, 0, 0)); d = ImageDraw.Draw(im)
    d.rounded_rectangle([0, 0, 63, 63], radius=12, fill=(32, 96, 160, 255))
    d.ellipse([18, 28, 46, 56], outline=(255, 255, 255, 255), width=7)
    d.arc([18, 6, 62, 58], start=180, end=270, fill=(255, 255, 255, 255), width=7)
    im.save(svg_dest, sizes=[(16, 16), (32, 32), (48, 48)])

def stage(proc, nbs_path, cfg):
    "Adapt the processed notebooks into build/docs_src/ and gather the static files into build/docs_static/."
    for d in (SRC, STATIC, EXTRA): shutil.rmtree(d, ignore_errors=True); d.mkdir(parents=True)
    groups = reading_order(nbs_path, proc)
    order = [n for _, ns in groups for n in ns]
    fms = {n: _frontmatter(proc/n) for n in order}
    pages = {n: Path(fms[n].get('output-file') or page_name(n)).stem for n in order}
    pages['index.ipynb'] = 'index'
    dup = {p for p in pages.values() if list(pages.values()).count(p) > 1}
    if dup: raise BuildError(f"two notebooks would publish to the same page: {dup}")
    site_url = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/')
    anchors = page_anchors(proc, pages)
    # the course's functions, for the font sizes of the figures they draw (their cells are gone from _proc)
    helpers = function_sources(f.read_text(encoding='utf-8') for f in sorted((ROOT/cfg.lib_path.name).glob('*.py')))
    lookup = doc_lookup()
    (EXTRA/'notebooks').mkdir()
    for n in order:
        fm, nb = adapt_notebook(json.loads((proc/n).read_text(encoding='utf-8')), pages, site_url, object_info, anchors, helpers, lookup)
        nb['metadata']['ch6_page'] = {k: fm[k] for k in ('title', 'description') if fm.get(k)}
        link_notebook_from_docs(nb, n, cfg)
        if n == 'index.ipynb': nb['cells'].append({**md_cell(_toctrees(groups, pages, fms)), 'id': 'toctree'})
        else:
            at = 1 if nb['cells'] and nb['cells'][0]['source'].startswith('# ') else 0
            nb['cells'].insert(at, {**md_cell(lesson_links(n, cfg)), 'id': 'lesson-links'})
            shutil.copy2(nbs_path/n, EXTRA/'notebooks'/n)      # the notebook as the learner runs it
        (SRC/f'{pages[n]}.ipynb').write_text(json.dumps(nb, indent=1), encoding='utf-8')
    for f in proc.rglob('*'):      # images and other files the notebooks use
        rel = f.relative_to(proc)
        if f.is_file() and f.suffix != '.ipynb' and str(rel) not in QUARTO_ONLY and not rel.parts[0].startswith('.'):
            (SRC/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, SRC/rel)
    shutil.copy2(nbs_path/'styles.css', STATIC/'styles.css')
    for f in ('ch6.css', 'ch6.js', 'ch6-copybutton.js'): shutil.copy2(ROOT/'tools'/'docs'/f, STATIC/f)
    favicon_ico(EXTRA/'favicon.ico')
    if not (MATHJAX/'tex-chtml.js').exists():
        raise BuildError(f"MathJax is missing at {MATHJAX}: run `bash tools/build_docs.sh`, which installs it from npm")
    for part in MATHJAX_PARTS:
        s, d = MATHJAX/part, STATIC/'mathjax'/part
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(s, d) if s.is_dir() else shutil.copy2(s, d)
    return pages

def _frontmatter(f):
    from quarto_to_myst import pop_frontmatter
    return pop_frontmatter(json.loads(f.read_text(encoding='utf-8')))

def sidebar_title(nb_name, fm):
    "A lesson's entry in the sidebar: its number and title, `05 · Image regression: where is the head?` (plain text)."
    title = re.sub(r'`([^`]*)`', r'\1', (fm or {}).get('title') or '')
    m = re.match(r'^(\d+)[a-z]?_', nb_name)
    return f'{m.group(1)} · {title}' if m and title else title

def _toctrees(groups, pages, fms=None):
    "Hidden toctrees on the front page: the sidebar, in reading order, lessons numbered (the front page itself is the root)."
    out = []
    for caption, names in groups:
        entries = [(f'{t} <{pages[n]}>' if (t := sidebar_title(n, (fms or {}).get(n))) else pages[n])
                   for n in names if pages[n] != 'index']
        if not entries: continue
        opts = ':hidden:\n' + (f':caption: {caption}\n' if caption else '')
        out.append('```{toctree}\n' + opts + '\n' + '\n'.join(entries) + '\n```')
    return '\n\n'.join(out)

def sphinx_build(out):
    "Render build/docs_src/ with Sphinx, then put the site at `out` (myst-nb writes beside its output folder, so build in build/)."
    html = ROOT/'build'/'docs_html'/'site'
    shutil.rmtree(html, ignore_errors=True)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going', '-q', '-j', '1', '-E',
           '-c', str(ROOT/'tools'/'docs'), '-d', str(DOCTREES), str(SRC), str(html)]
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode: raise BuildError(f"Sphinx reported warnings or errors (exit {r.returncode}); see above")
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(html, out)

def stamp_sources():
    "Every file the site is built from: notebooks, the docs tools, the package (show_doc reads it), settings.ini."
    fs = [*(ROOT/'nbs').glob('*'), *(ROOT/'tools'/'docs').glob('*'), ROOT/'settings.ini', *(ROOT/'fastai_ch6').glob('*.py'),
          *(ROOT/'tools'/f for f in ('build_docs.py', 'build_docs.sh', 'quarto_to_myst.py'))]
    return sorted(f for f in fs if f.is_file())

def build_stamp():
    "What a build depends on: a hash of the sources' contents and one of the installed packages and their versions."
    import hashlib, importlib.metadata as md, platform
    h = hashlib.sha256()
    for f in stamp_sources(): h.update(f.relative_to(ROOT).as_posix().encode() + b'\0' + f.read_bytes() + b'\0')
    pk = sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in md.distributions() if d.metadata['Name']})
    return {'sources': h.hexdigest(), 'packages': hashlib.sha256('\n'.join([platform.python_version(), *pk]).encode()).hexdigest()}

def site_size(out):
    files = [f for f in out.rglob('*') if f.is_file()]
    return len(files), sum(f.stat().st_size for f in files)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--skip-proc', action='store_true', help="reuse _proc/ from an earlier run")
    ap.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args(argv)
    cfg = _cfg(); out = ROOT/cfg.doc_path.name; proc = ROOT/'_proc'
    t0 = time.time()
    stamp = build_stamp()            # before the build: a source edited during it makes the next check rebuild
    try:
        if not a.skip_proc:
            bad = mixed_import_cells(cfg.nbs_path)
            if bad: raise BuildError("these cells mix imports with other code; nbdev runs such cells while building the docs "
                                     "(nbdev's warning, an error here). Put the import lines in a cell of their own "
                                     "(or in an exported cell):\n  " + '\n  '.join(bad))
            run_nbdev_processing(a.workers)
        t1 = time.time()
        check_show_docs(proc)
        pages = stage(proc, cfg.nbs_path, cfg)
        t2 = time.time()
        sphinx_build(out)
        (out/STAMP).write_text(json.dumps(stamp, indent=1))
    except BuildError as e:
        print(f"build_docs: {e}", file=sys.stderr); return 1
    t3 = time.time()
    n, size = site_size(out)
    print(f"build_docs: {len(pages)} pages -> {out.relative_to(ROOT)}/ ({n} files, {size/2**20:.1f} MiB); "
          f"nbdev processing {t1-t0:.0f} s, staging {t2-t1:.0f} s, Sphinx {t3-t2:.0f} s, total {t3-t0:.0f} s")
    return 0

if __name__ == '__main__': sys.exit(main())
