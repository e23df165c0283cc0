"""The docs renderer end to end on two tiny notebooks (no browser, ~10 s): what the adapter produces
renders as Quarto would show it, and a warning (here: a link to a heading that does not exist) fails
the build. Uses the project's own Sphinx configuration, tools/docs/conf.py."""
import json, re, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from quarto_to_myst import adapt_notebook

SITE = 'https://fastai-ch6.github.io/fastai_ch6'
PAGES = {'index.ipynb': 'index', '01_b.ipynb': 'b'}
FM = '---\ntitle: {t}\ndescription: About {t}.\noutput-file: {o}\n---\n'

def md(s): return {'cell_type': 'markdown', 'metadata': {}, 'source': s}
def code(s, outputs=()): return {'cell_type': 'code', 'metadata': {}, 'source': s, 'outputs': list(outputs), 'execution_count': 1}
def raw(s): return {'cell_type': 'raw', 'metadata': {}, 'source': s}
def out(mime, v): return {'output_type': 'display_data', 'data': {mime: v}, 'metadata': {}}

def _admonition(html, kind):
    "Whether `html` has an admonition of `kind` (a note, tip, warning...)."
    return any({'admonition', kind} <= set(c.split()) for c in re.findall(r'<div class="([^"]*)"', html))

def _build(tmp_path, link_anchor):
    src, static = tmp_path/'src', tmp_path/'static'
    src.mkdir(); static.mkdir()
    index = {'cells': [raw(FM.format(t='Home', o='index.html')),
                       md('::: {.callout-tip title="Why 64?"}\nThe default batch size.\n:::'),
                       md(f'Go to [lesson b](01_b.ipynb) and [its section]({SITE}/b.html#{link_anchor}).'),
                       md('```{toctree}\n:hidden:\n\nb\n```')], 'metadata': {}}
    b = {'cells': [raw(FM.format(t='Lesson B', o='b.html')),
                   md('## Section B\n\n$$\\sigma(x) = \\frac{1}{1+e^{-x}}$$'),
                   code('#| echo: false\nprint("shown output")', [{'output_type': 'stream', 'name': 'stdout', 'text': 'OUTPUT-KEPT\n'}]),
                   code('#| include: false\nSECRET_SETUP = 1', [out('text/plain', 'SECRET-OUTPUT')]),
                   code('#| echo: false\n#| output: asis\nshow_doc(get_ctr)',
                        [out('text/markdown', '---\n\n[source](https://github.com/x/y.py#L1){target="_blank" style="float:right"}\n\n'
                                              '### get_ctr\n\n```python\ndef get_ctr(\n    f, # a pose file\n):\n```\n\n*The head centre.*')]),
                   md('::: {.callout-warning}\n## Slow\nA CPU epoch takes minutes.\n:::')], 'metadata': {}}
    for name, nb in [('index.ipynb', index), ('01_b.ipynb', b)]:
        _, a = adapt_notebook(nb, PAGES, SITE)
        (src/f"{PAGES[name]}.ipynb").write_text(json.dumps(a))
    html = tmp_path/'html'
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going', '-q',
                        '-c', str(ROOT/'tools'/'docs'), '-D', f'html_static_path={static}', '-d', str(tmp_path/'doctrees'),
                        str(src), str(html)], capture_output=True, text=True, cwd=tmp_path)
    return r, html

def test_adapted_notebooks_render_like_quarto(tmp_path):
    r, html = _build(tmp_path, 'section-b')
    assert r.returncode == 0, r.stderr
    index, b = (html/'index.html').read_text(), (html/'b.html').read_text()
    assert '<title>Home' in index and '<title>Lesson B' in b
    assert _admonition(index, 'tip') and 'Why 64?' in index               # callout with its title
    assert _admonition(b, 'warning') and '>Slow<' in b                   # title from the heading
    assert 'href="b.html"' in index and 'href="b.html#section-b"' in index                      # links into this site
    assert 'OUTPUT-KEPT' in b and 'print(' not in b                                              # echo: false
    assert 'SECRET' not in b                                                                     # include: false
    assert 'id="get_ctr"' in b and 'The head centre.' in b and 'target="_blank"' in b           # show_doc section
    assert re.search(r'class="math[^"]*"', b) and 'frac' in b                                   # math left for MathJax
    assert 'About Lesson B.' in b                                                                # description

def test_a_broken_link_is_a_build_error(tmp_path):
    r, _ = _build(tmp_path, 'no-such-section')
    assert r.returncode != 0 and 'no-such-section' in r.stderr, r.stderr
