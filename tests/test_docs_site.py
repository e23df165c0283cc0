"""The documentation site, checked in a real browser (headless Debian Chromium driven by Playwright).

Builds the site with `bash tools/build_docs.sh`, once a session, unless `_docs/` was built from the same sources
and the same installed packages (the build's stamp, `_docs/.build-stamp.json`; DOCS_REBUILD=1 forces a build),
serves `_docs/` on 127.0.0.1, and opens every page: title, images loaded, MathJax typeset, sidebar in reading
order, search, links, not one request leaving the machine, not one 404 (the favicon included). Then what a reader
must never see (tools/docs/site_checks.py): machine paths, `#|` option lines, raw TeX, links to `.ipynb` files,
Quarto fences, Python warnings in outputs, images without meaningful alt text, a fastai or PyTorch name linked to
the course's own function, anything that sticks out of the page or scrolls sideways where it should not, at 1280, 768
and 390 px, figure text below 9 px at any of these widths, a code block without a copy button, progress-bar text in an
output. On phones and tablets (390 and 768 px) the navigation and contents buttons open their dialogs and a link in
them can be followed. Each of those checks is shown to fail on a copy of a built page with its fault injected.
Search is also checked from file://, where the browser refuses Sphinx's fetch() of the pages.
Screenshots of the front page and the first lesson go to artifacts/.
Without Chromium the browser tests are skipped, with the reason; under CI (`CI` set) they fail instead.
"""
import functools, http.server, json, os, re, shutil, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urlparse, unquote

import pytest, yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS, SRC, ART = ROOT/'_docs', ROOT/'build'/'docs_src', ROOT/'artifacts'
sys.path.insert(0, str(ROOT/'tools'))
sys.path.insert(0, str(ROOT/'tools'/'docs'))
from quarto_to_myst import sidebar_entries
from site_checks import KINDS, static_problems, browser_problems, navigation_problems, unlinked_problems

CHROMIUM = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)
_NO_CHROMIUM = ("Chromium is not installed (Debian package `chromium`, installed by .ci/run): the docs site's "
                "browser tests need a real browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get('CI'), reason=_NO_CHROMIUM)

def _chromium():
    "Under CI a missing browser is a failure, not a skip: a browser test that silently skips in CI is no test."
    if CHROMIUM is None: pytest.fail(_NO_CHROMIUM)
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-default-apps', '--mute-audio']

def _fresh():
    "Whether _docs/ was built from today's sources with today's packages (tools/build_docs.py writes the stamp)."
    from build_docs import build_stamp, STAMP
    f = DOCS/STAMP
    try: return SRC.exists() and (DOCS/'index.html').exists() and json.loads(f.read_text()) == build_stamp()
    except (OSError, ValueError): return False

@pytest.fixture(scope='session')
def site():
    "The built site: {'pages': {page name: expected title}, 'order': [page names in sidebar order]}."
    if os.environ.get('DOCS_REBUILD') or not _fresh():
        t = time.time()
        r = subprocess.run(['bash', 'tools/build_docs.sh'], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, f"tools/build_docs.sh failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
        print(f"\nbuilt the docs in {time.time()-t:.0f} s: {r.stdout.strip().splitlines()[-1]}")
    pages = {}
    for f in SRC.glob('*.ipynb'):
        first = json.loads(f.read_text())['cells'][0]
        m = re.match(r'# (.+)', ''.join(first['source']))
        assert m, f"{f.name}: the page has no title (the notebook needs a `# Title` first cell)"
        pages[f.stem] = re.sub(r'`([^`]*)`', r'\1', m.group(1).strip())     # the title as text: `ch6` -> ch6
    order = [n for _, ns in sidebar_entries(yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text())) for n in ns]
    nbs = sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb'))
    return {'pages': pages, 'order': order, 'nbs': nbs}

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

class _Serve:
    "A folder served on 127.0.0.1 while in the `with` block."
    def __init__(self, folder): self.folder = folder
    def __enter__(self):
        self.srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(self.folder)))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return f'http://127.0.0.1:{self.srv.server_address[1]}'
    def __exit__(self, *a): self.srv.shutdown(); self.srv.server_close()

@pytest.fixture(scope='session')
def server(site):
    with _Serve(DOCS) as url: yield url

@pytest.fixture(scope='session')
def browser(server, tmp_path_factory):
    _chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp('chromium-profile')),
                                                   executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                   viewport={'width': 1280, 'height': 900})
        log = {'outside': [], 'failed': [], 'bad_status': [], 'console': []}
        def route(r):   # anything not served by our servers on this machine is refused, and recorded
            u = r.request.url
            if u.startswith(('http://127.0.0.1:', 'data:', 'blob:', 'about:', 'file:///')): r.continue_()   # file://: the site opened as files
            else: log['outside'].append(u); r.abort()
        ctx.route('**/*', route)
        # the site's own server only: the fault-injection tests below serve broken copies on other ports
        ctx.on('requestfailed', lambda r: r.url.startswith(server) and log['failed'].append(f'{r.url} ({r.failure})'))
        ctx.on('response', lambda r: r.status >= 400 and r.url.startswith(server) and log['bad_status'].append(f'{r.status} {r.url}'))
        yield ctx, log
        ctx.close()

def _open(ctx, log, url, width=None):
    pg = ctx.new_page()
    if width: pg.set_viewport_size({'width': width, 'height': 900})
    pg.bad = []    # this page's own failed resources
    pg.on('response', lambda r: r.status >= 400 and pg.bad.append(f'{r.status} {r.url}'))
    pg.on('requestfailed', lambda r: pg.bad.append(f'{r.url} ({r.failure})'))
    pg.on('console', lambda m: m.type == 'error' and log['console'].append(f'{url}: {m.text}'))
    pg.on('pageerror', lambda e: log['console'].append(f'{url}: {e}'))
    pg.goto(url, wait_until='load')
    pg.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    pg.wait_for_load_state('networkidle')
    return pg

@needs_chromium
def test_every_notebook_is_a_page_in_sidebar_order(site, server, browser):
    ctx, log = browser
    assert len(site['pages']) == len(site['nbs']), (sorted(site['pages']), site['nbs'])
    pg = _open(ctx, log, server + '/index.html')
    nav = pg.evaluate("() => [...document.querySelectorAll('.bd-sidebar-primary nav a.reference.internal')]"
                      ".map(a => a.getAttribute('href'))")
    nav = [re.sub(r'\.html$', '', h.split('#')[0]) or 'index' for h in nav]
    assert sorted(set(nav)) == sorted(site['pages']), (nav, sorted(site['pages']))   # every page, once...
    listed = [n for n in site['order'] if n in site['nbs']]
    assert nav[:len(listed)] == [_page_of(site, n) for n in listed], \
        f"sidebar order {nav} does not follow nbs/sidebar.yml {site['order']}"   # ...in reading order
    pg.close()

def _page_of(site, nb):
    "The page a notebook was published as (the build names pages as Quarto does)."
    if nb == 'index.ipynb': return 'index'
    stem = re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb).stem.lower())
    return stem if stem in site['pages'] else Path(nb).stem

@pytest.fixture(scope='session')
def page_pass(site, server, browser):
    """Every page opened once at 1280 px: {'render': problems with its title, heading, images, MathJax and resources,
    'n_math': formulas seen, 'browser': {kind: problems} of site_checks' browser checks}."""
    ctx, log = browser
    ART.mkdir(exist_ok=True)
    n_math = 0; render = []; report = {k: [] for k in BROWSER_KINDS}
    lessons = [_page_of(site, n) for n in site['order'] if n != 'index.ipynb']
    for page, title in sorted(site['pages'].items()):
        pg = _open(ctx, log, f'{server}/{page}.html')
        if page == 'index': render += [f'index: {m}' for m in tab_title_problems(pg.title(), title)]   # the site's name, not twice
        elif pg.title() != f"{title} — {site['pages']['index']}" and not pg.title().startswith(title):
            render.append(f'{page}: title {pg.title()!r}, expected {title!r}')
        h1 = pg.inner_text('main h1').replace('#', '').strip()
        if h1 != title: render.append(f'{page}: heading {h1!r}, expected {title!r}')
        imgs = pg.evaluate("() => [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])")
        render += [f'{page}: image {s[:80]} did not load' for s, w in imgs if not w]
        math = pg.evaluate("() => document.querySelectorAll('div.math, span.math').length")
        if math:
            _typeset(pg)
            done = pg.evaluate("() => [document.querySelectorAll('mjx-container').length, "
                               "document.querySelectorAll('mjx-merror').length, "
                               "[...document.querySelectorAll('div.math, span.math')].filter(e => !e.querySelector('mjx-container')).length]")
            if done[0] < math or done[1] or done[2]:
                render.append(f'{page}: MathJax typeset {done[0]} of {math} formulas, {done[1]} errors, {done[2]} left as TeX')
            n_math += math
        render += [f'{page}: {b}' for b in pg.bad]                                  # a 404 of any resource
        if page == 'index': pg.screenshot(path=str(ART/'docs_index.png'))
        if lessons and page == lessons[0]: pg.screenshot(path=str(ART/f'docs_{page}.png'))
        for kind, msg in browser_problems(pg, page): report[kind].append(msg)       # typeset: a formula can be wider than its TeX
        pg.close()
    return {'render': render, 'n_math': n_math, 'browser': report}

@needs_chromium
def test_pages_render_in_the_browser(page_pass, browser):
    _, log = browser
    assert not page_pass['render'], '\n'.join(page_pass['render'])
    assert page_pass['n_math'] > 0, "no page has math: the MathJax check checked nothing"
    assert not log['outside'], f"requests that would have left the machine: {log['outside']}"
    assert not log['failed'] and not log['bad_status'], log['failed'] + log['bad_status']
    assert not log['console'], '\n'.join(log['console'])

@needs_chromium
def test_search_finds_a_documented_function(site, server, browser):
    ctx, log = browser
    found = 0; ART.mkdir(exist_ok=True)
    for name in ['get_ctr', 'pascal_2007']:      # the chapter's functions, documented by show_doc
        documented = [p for p in site['pages'] if f'id="{name}"' in (DOCS/f'{p}.html').read_text()]
        if not documented: continue
        pg = _open(ctx, log, f'{server}/search.html?q={name}')
        pg.wait_for_selector('#search-results ul.search li a', timeout=20000)
        hits = pg.evaluate("() => [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href'))")
        assert any(h.split('#')[0].replace('.html', '') in documented for h in hits), (name, hits, documented)
        pg.wait_for_selector('#search-results ul.search li p.context', timeout=20000)
        snippets = pg.evaluate("() => [...document.querySelectorAll('#search-results ul.search li p.context')].map(p => p.innerText)")
        chrome = [t for t in snippets if re.search(r'System Settings|Light\s+Dark|Open in Colab|\\\(|\\frac|\$\$', t)]
        assert snippets and not chrome, f"search snippets show theme chrome or TeX: {chrome[:3]}"
        if name == 'get_ctr' or not found: pg.screenshot(path=str(ART/'docs_search.png'))
        found += 1
        pg.close()
    assert found, "the site documents neither get_ctr nor pascal_2007"
    assert not log['outside'], log['outside']

def _file_search_snippets(ctx, docs, q='get_ctr'):
    "Search results and their snippets on the site in folder `docs`, opened from file:// (no server)."
    pg = ctx.new_page()
    try:
        pg.goto((docs/'search.html').as_uri() + f'?q={q}', wait_until='load')
        pg.wait_for_selector('#search-results ul.search li a', timeout=20000)
        try: pg.wait_for_selector('#search-results ul.search li p.context', timeout=5000)
        except Exception: pass
        return pg.evaluate("() => [...document.querySelectorAll('#search-results ul.search li')]"
                           ".map(li => (li.querySelector('p.context') || {}).innerText || '')")
    finally: pg.close()

@needs_chromium
def test_search_from_file_shows_snippets(site, browser):
    "Opened from file://, where the browser refuses Sphinx's fetch() of each page, search still shows snippets."
    ctx, _ = browser
    snippets = _file_search_snippets(ctx, DOCS)
    assert snippets and any('get_ctr' in t for t in snippets), snippets
    chrome = [t for t in snippets if re.search(r'System Settings|Light\s+Dark|Open in Colab|\\\(|\\frac|\$\$', t)]
    assert not chrome, chrome[:3]

@needs_chromium
def test_file_search_check_fails_without_the_page_texts(site, browser, tmp_path):
    ctx, _ = browser
    d = tmp_path/'site'; d.mkdir()
    for f in DOCS.iterdir():
        if f.name != '_static': (d/f.name).symlink_to(f)
    (d/'_static').mkdir()
    for f in (DOCS/'_static').iterdir():
        if f.name != 'ch6-pagetext.js': (d/'_static'/f.name).symlink_to(f)
    snippets = _file_search_snippets(ctx, d)
    assert snippets and not any(snippets), snippets        # hits, but no snippet: what readers saw before

def test_links_between_pages_and_to_names_resolve(site):
    "Every link inside the site reaches a file of the site and, if it names an anchor, an element with that id."
    ids = {p.relative_to(DOCS).as_posix(): set(re.findall(r'\bid="([^"]+)"', p.read_text(encoding='utf-8')))
           for p in DOCS.rglob('*.html')}
    bad = []; n = 0
    from nbdev.config import get_config
    cfg = get_config(path=ROOT); published = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/') + '/'
    for page in site['pages']:
        html = (DOCS/f'{page}.html').read_text(encoding='utf-8')
        main = html[html.find('<main'):html.find('</main>')]
        for href in re.findall(r'<a [^>]*href="([^"]+)"', main):
            u = urlparse(href)
            if href.startswith(published): bad.append(f'{page}: {href} (to the published site, not this one)')
            if u.scheme or href.startswith(('mailto:', '//')): continue
            path = unquote(u.path) or f'{page}.html'; n += 1
            if not (DOCS/path).exists(): bad.append(f'{page}: {href} (no such file)')
            elif u.fragment and path in ids and u.fragment not in ids[path]: bad.append(f'{page}: {href} (no such anchor)')
    assert not bad, '\n'.join(bad)
    assert n > 0

# ---------------------------------------------------------------------------------------------------------------
# What a reader must never see (tools/docs/site_checks.py), on every page, and each check shown to fail.
#
# A check that fails on today's notebooks because of their content (not of the docs tools) is marked
# xfail(strict=True), with the notebook change that fixes it: it turns into a failure, to be unmarked, once fixed.

NOTEBOOK_SIDE = {}

def _page_html(page): return (DOCS/f'{page}.html').read_text(encoding='utf-8')

@pytest.fixture(scope='session')
def static_report(site):
    "{kind: [problems]} over every page of the site."
    out = {k: [] for k in KINDS}
    for page in sorted(site['pages']):
        for kind, msg in static_problems(_page_html(page), page): out[kind].append(msg)
    return out

def _kind_param(kind):
    marks = [pytest.mark.xfail(strict=True, reason=NOTEBOOK_SIDE[kind])] if kind in NOTEBOOK_SIDE else []
    return pytest.param(kind, marks=marks, id=kind.replace(' ', '-'))

@pytest.mark.parametrize('kind', [_kind_param(k) for k in KINDS])
def test_pages_show_nothing_of_the_build(static_report, kind):
    assert not static_report[kind], '\n'.join(static_report[kind])

BROWSER_KINDS = ('overflow', 'copy button', 'wrapped code', 'figure text', 'favicon')
NARROW_KINDS = ('overflow', 'figure text')          # what changes with the width
NARROW_WIDTHS = (768, 390)                          # a tablet, a phone

def _typeset(pg):
    "Wait for MathJax where the page has math (a typeset formula can be wider than its TeX)."
    if pg.evaluate("() => document.querySelectorAll('div.math, span.math').length"):
        pg.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15000)
        pg.evaluate("() => MathJax.startup.promise")

@needs_chromium
@pytest.mark.parametrize('kind', [_kind_param(k) for k in BROWSER_KINDS])
def test_pages_fit_1280px_have_copy_buttons_readable_figures_and_a_favicon(page_pass, kind):
    assert not page_pass['browser'][kind], '\n'.join(page_pass['browser'][kind])

@pytest.fixture(scope='session')
def narrow_pass(site, server, browser):
    "Every page at each of NARROW_WIDTHS: {width: {kind: problems}} of site_checks' checks that depend on the width."
    ctx, log = browser
    out = {w: {k: [] for k in NARROW_KINDS} for w in NARROW_WIDTHS}
    for w in NARROW_WIDTHS:
        for page in sorted(site['pages']):
            pg = _open(ctx, log, f'{server}/{page}.html', width=w)
            _typeset(pg)
            for kind, msg in browser_problems(pg, page):
                if kind in NARROW_KINDS: out[w][kind].append(msg)
            pg.close()
    return out

@needs_chromium
@pytest.mark.parametrize('kind', NARROW_KINDS)
@pytest.mark.parametrize('width', NARROW_WIDTHS)
def test_pages_fit_phones_and_tablets(narrow_pass, width, kind):
    "At 768 and 390 px nothing sticks out of the page (headings wrap, equations and tables scroll in their own box) and figure text stays >= 9 px."
    assert not narrow_pass[width][kind], '\n'.join(narrow_pass[width][kind])

@needs_chromium
@pytest.mark.parametrize('width', NARROW_WIDTHS)
def test_navigation_and_contents_open_on_phones_and_tablets(site, server, browser, width):
    "The ☰ and contents buttons open their dialogs and a link in each can be followed, on a lesson and on the front page."
    ctx, log = browser
    bad = []
    for page in ('index', _victim(site)):
        pg = _open(ctx, log, f'{server}/{page}.html', width=width)
        bad += navigation_problems(pg, page)
        pg.close()
    assert not bad, '\n'.join(bad)

@needs_chromium
@pytest.mark.parametrize('width', NARROW_WIDTHS)
def test_the_navigation_check_fails_without_the_sites_script(site, browser, tmp_path, width):
    "Without tools/docs/ch6.js (the theme alone binds only its hidden buttons) the check sees the buttons do nothing."
    ctx, _ = browser
    page = _victim(site)
    edit = lambda h: re.sub(r'<script[^>]*src="[^"]*_static/ch6\.js[^"]*"[^>]*></script>', '', h)
    assert edit(_page_html(page)) != _page_html(page)
    with _Serve(_broken_copy(page, edit, tmp_path)) as url:
        pg = _open(ctx, {'console': []}, f'{url}/{page}.html', width=width)
        found = navigation_problems(pg, page)
        pg.close()
    assert any('opens nothing' in m for m in found), found

# --- each check fails on its fault ------------------------------------------------------------------------------

def _victim(site):
    "The page faults are injected into: the data lesson (code, outputs, tables, show_doc), else any lesson."
    return 'data' if 'data' in site['pages'] else sorted(p for p in site['pages'] if p != 'index')[0]

def _inject(html, snippet):
    "`snippet` at the top of the page's article."
    m = re.search(r'<article[^>]*>', html)
    assert m, "the page has no <article>: the theme changed, and the injection with it"
    return html[:m.end()] + snippet + html[m.end():]

STATIC_FAULTS = {   # fault name: (kind the checks must report, HTML injected into a copy of a built page)
    'home path /root': ('machine path', '<div class="cell_output"><pre>saved to /root/.cache/fastai_ch6/voc</pre></div>'),
    'home path /home': ('machine path', '<p>Model written to /home/alice/ch6-output/model.pth</p>'),
    'temp path': ('machine path', '<pre>/tmp/tmpa1b2c3/train.csv</pre>'),
    'venv path': ('machine path', '<pre>File "/work/main/.venv/lib/python3.12/site-packages/torch/jit/_script.py"</pre>'),
    'option line': ('cell option', '<div class="highlight"><pre><span class="c1">#| export</span>\ndef f(): pass</pre></div>'),
    'raw $x$': ('raw TeX', '<p>The loss is $x^2$ for each item.</p>'),
    'raw \\(x\\)': ('raw TeX', '<p>where \\(\\sigma(x)\\) squashes the logits</p>'),
    'ipynb link': ('notebook link', '<p>See <a href="datablock.ipynb#pascal_dblock">pascal_dblock</a>.</p>'),
    'markdown ipynb link': ('notebook link', '<p>See [pascal_dblock](datablock.ipynb#pascal_dblock).</p>'),
    'quarto fence': ('Quarto fence', '<p>::: {.callout-note}</p><p>A note.</p><p>:::</p>'),
    'FutureWarning': ('Python warning', '<div class="cell_output docutils container"><div class="output stderr"><pre>'
                      'x.py:3: FutureWarning: `torch.jit.script` is deprecated.</pre></div></div>'),
    'UserWarning': ('Python warning', '<div class="cell_output"><pre>UserWarning: this DataLoader will create 4 workers</pre></div>'),
    'hash alt text': ('image alt', '<img alt="3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e.png" '
                      'src="_images/3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e.png">'),
    'no alt text': ('image alt', '<img src="_images/plot.png">'),
    "fastai's name to a course page": ('library name link', "<p>fastai’s <a class=\"reference internal\" href=\"multilabel.html#accuracy_multi\">"
                                       '<code class="docutils literal notranslate"><span class="pre">accuracy_multi</span></code></a></p>'),
    'progress text': ('progress text', '<div class="cell_output"><pre>epoch     train_loss\n\nEpoch 1/3 : |██████----------| 16.67% [1/6 00:00&lt;00:01]</pre></div>'),
    'carriage return': ('progress text', '<div class="cell_output"><pre>Epoch 1/3 : 0/6\rEpoch 1/3 : 1/6</pre></div>'),
    'tqdm bar': ('progress text', '<div class="cell_output"><pre> 40%|####      | 2/5 [00:01&lt;00:01]</pre></div>'),
    'alt text \\n': ('image alt', '<img alt="\\n" src="_images/plot.png">'),
    'link to an empty index': ('index link', '<p><a href="genindex.html">Index</a></p>'),
    'index in the head': ('index link', '<link rel="index" title="Index" href="genindex.html" />'),
    'progress bar': ('progress bar', '<div class="cell_output"><div><progress max="4" value="1"></progress> 25.00% [1/4 00:00&lt;00:00]</div></div>'),
    "PyTorch's name to a course page": ('library name link', "<p>PyTorch's <a href=\"data.html#get_ctr\"><code>where</code></a></p>"),
}

@pytest.mark.parametrize('fault', list(STATIC_FAULTS))
def test_each_static_check_fails_on_its_fault(site, static_report, fault):
    kind, snippet = STATIC_FAULTS[fault]
    page = _victim(site)
    before = [m for m in static_report[kind] if m.startswith(f'{page}: ')]         # the built page's own problems
    after = [m for k, m in static_problems(_inject(_page_html(page), snippet), page) if k == kind]
    assert len(after) > len(before), f"the {kind!r} check missed: {snippet}"

def _broken_copy(page, edit, tmp_path, drop=()):
    "A copy of the site (links to the built files) where `page` is `edit(html)` and the files `drop` are missing."
    d = tmp_path/'site'; d.mkdir()
    for f in DOCS.iterdir():
        if f.name != f'{page}.html' and f.name not in drop: (d/f.name).symlink_to(f)
    (d/f'{page}.html').write_text(edit(_page_html(page)), encoding='utf-8')
    return d

LONG_NAME = 'binary_cross_entropy_' + '_'.join(['naive'] * 12)
WIDE_FIGURE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='{w}' height='40'/%3E"
BROWSER_FAULTS = {   # fault name: (kind reported, page edit, files missing from the copy, width)
    'wide table': ('overflow', lambda h: _inject(h, '<table><tr><td style="white-space:nowrap">' + 'wide ' * 300 + '</td></tr></table>'), ()),
    'paragraph sticks out': ('overflow', lambda h: _inject(h, '<p style="white-space:nowrap">' + 'wide ' * 300 + '</p>'), ()),
    'heading cut off on a phone': ('overflow', lambda h: _inject(h, f'<h3 style="overflow-wrap:normal"><code style="white-space:nowrap">'
                                   f'{LONG_NAME}</code></h3>'), (), 390),
    'equation sticks out on a phone': ('overflow', lambda h: _inject(h, '<mjx-container display="true" style="display:block; overflow:visible">'
                                       '<span style="display:inline-block; width:600px">x</span></mjx-container>'), (), 390),
    'page scrolls sideways on a tablet': ('overflow', lambda h: _inject(h, '<div style="width:900px; height:10px"></div>'), (), 768),
    'code wraps its lines': ('wrapped code', lambda h: _inject(h, '<style>main pre{white-space:pre-wrap !important}</style>'), ()),
    'no copy button': ('copy button', lambda h: re.sub(r'<script[^>]*(copybutton)[^>]*></script>', '', h), ()),
    'favicon 404': ('favicon', lambda h: re.sub(r'(<link[^>]*rel="icon"[^>]*href=")[^"]*', r'\1_static/no-such-favicon.svg', h),
                    ('favicon.ico',)),
    'figure text at 7 px': ('figure text', lambda h: _inject(h, '<img alt="a wide plot" class="ch6-text-9-7" style="width:500px; min-width:0" '
                            f'src="{WIDE_FIGURE.format(w=700)}">'), ()),
    'declared width shrunk': ('figure text', lambda h: _inject(h, '<img alt="a wide plot" width="1190" style="width:690px; min-width:0" '
                              f'src="{WIDE_FIGURE.format(w=2380)}">'), ()),
    'figure shrunk on a phone': ('figure text', lambda h: _inject(h, '<style>main img{min-width:0 !important}</style>'), (), 390),
    'resource 404': ('404', lambda h: _inject(h, '<img src="_static/no-such-picture.png" alt="gone">'), ()),
}

@needs_chromium
@pytest.mark.parametrize('fault', list(BROWSER_FAULTS))
def test_each_browser_check_fails_on_its_fault(site, browser, tmp_path, fault):
    kind, edit, drop, *width = BROWSER_FAULTS[fault]
    ctx, _ = browser
    page = 'regression' if kind == 'figure text' and 'regression' in site['pages'] else _victim(site)    # a page with figures
    with _Serve(_broken_copy(page, edit, tmp_path, drop)) as url:
        pg = _open(ctx, {'console': []}, f'{url}/{page}.html', width=width[0] if width else None)
        _typeset(pg)
        found = [m for k, m in browser_problems(pg, page) if k == kind] + (pg.bad if kind == '404' else [])
        pg.close()
    assert found, f"the {kind!r} check missed the fault {fault!r}"

# --- what each page carries -------------------------------------------------------------------------------------

def test_pages_have_description_and_opengraph_meta(site):
    bad = []
    for page in site['pages']:
        html = _page_html(page)
        for tag in ('name="description"', 'property="og:title"', 'property="og:description"', 'name="twitter:card"'):
            if not re.search(rf'<meta {tag} content="[^"]+"', html): bad.append(f'{page}: no <meta {tag}>')
    assert not bad, '\n'.join(bad)

def test_each_lesson_links_colab_its_notebook_and_source(site):
    from colab_cells import course_requirement, settings
    need = course_requirement(settings(), 'lessons')
    bad = []
    for nb in site['nbs']:
        page = _page_of(site, nb)
        if page == 'index' or page not in site['pages']: continue
        html = _page_html(page)
        if not re.search(rf'href="https://colab\.research\.google\.com/github/[^"]+/{re.escape(nb)}"', html): bad.append(f'{page}: no Colab link')
        if f'href="notebooks/{nb}" download' not in html or not (DOCS/'notebooks'/nb).exists(): bad.append(f'{page}: no notebook download')
        if not re.search(rf'href="https://github\.com/[^"]+/blob/[^"]+/{re.escape(nb)}"', html): bad.append(f'{page}: no source link')
        if 'FASTAI_CH6_DATA=synthetic' not in html: bad.append(f'{page}: no note on running offline')
        if f'pip install &quot;{need}&quot;' not in html and f'pip install "{need}"' not in html:
            bad.append(f'{page}: no note that a downloaded notebook needs `pip install "{need}"` first')
    assert not bad, '\n'.join(bad)

def repo_link_problems(html, page, git_url):
    "Links to the course's repository, on GitHub or through Colab, that are not built from settings.ini's git_url."
    owner_repo = git_url.rstrip('/').split('github.com/')[-1]
    out = []
    for href in re.findall(r'href="([^"]+)"', html):
        m = re.match(r'https://(?:colab\.research\.google\.com/github|github\.com)/([^/"]+)/([^/#?"]+)', href)
        if m and m.group(2) == owner_repo.split('/')[-1] and f'{m.group(1)}/{m.group(2)}' != owner_repo:
            out.append(f'{page}: {href} is not in the repository settings.ini names ({git_url})')
    return out

def test_repository_links_are_built_from_settings(site):
    "Every Colab, source, GitHub and issue link leads to settings.ini's repository; each page has the GitHub and issue buttons."
    from nbdev.config import get_config
    git_url = get_config(path=ROOT).git_url.rstrip('/')
    bad = []
    for page in site['pages']:
        html = _page_html(page)
        bad += repo_link_problems(html, page, git_url)
        if f'href="{git_url}"' not in html: bad.append(f'{page}: no link to the repository ({git_url})')
        if f'href="{git_url}/issues' not in html: bad.append(f'{page}: no link to open an issue ({git_url}/issues)')
    assert not bad, '\n'.join(bad)
    moved = _page_html(_victim(site)).replace(git_url.split('github.com/')[-1].split('/')[0] + '/', 'someone-else/')
    assert repo_link_problems(moved, 'moved', git_url), "the check misses links to another owner's copy"


def test_each_functions_docs_link_the_notebook_that_teaches_it(site):
    "Every show_doc's `source` link (the generated module) has a `notebook` link beside it, to the lesson's notebook."
    bad, n = [], 0
    for nb in site['nbs']:
        page = _page_of(site, nb)
        if page not in site['pages']: continue
        for m in re.finditer(r'>source</a>(<a [^>]*>notebook</a>)?', _page_html(page)):
            n += 1
            if not m.group(1) or not re.search(rf'href="https://github\.com/[^"]+/blob/[^"]+/{re.escape(nb)}"', m.group(1)):
                bad.append(f'{page}: a function documented without a link to {nb}')
    assert n and not bad, '\n'.join(bad)

SHOWDOC_H2 = re.compile(r'<h2>(.*?)<a class="headerlink"[^>]*>#</a></h2>\s*(?:<p><a [^>]*>source</a></p>\s*)?'
                        r'<div class="highlight-python[^"]*"><div class="highlight"><pre><span></span><span class="k">(?:def|class)</span>')

def test_no_show_doc_is_a_top_level_section(site):
    "A function's docs sit under the lesson's section that teaches it, not beside the sections in the contents."
    bad = [f'{p}: {re.sub("<[^>]+>", "", m)}' for p in site['pages'] for m in SHOWDOC_H2.findall(_page_html(p))]
    assert not bad, '\n'.join(bad)

def test_the_showdoc_check_sees_a_top_level_show_doc():
    html = ('<h2>DataFormatError<a class="headerlink" href="#x" title="Link">#</a></h2>\n<p><a href="https://github.com/x/y.py#L4" '
            'target="_blank" style="float:right">source</a></p>\n<div class="highlight-python notranslate">'
            '<div class="highlight"><pre><span></span><span class="k">class</span>')
    assert SHOWDOC_H2.findall(html) == ['DataFormatError']

THEME = ('sphinx-book-theme', 'pydata-sphinx-theme')

def theme_pin_problems(constraints):
    "Problems with the pins of the site's theme in the text of constraints.txt: each pinned exactly, to the installed version."
    import importlib.metadata as md
    out = []
    for name in THEME:
        m = re.search(rf'^{re.escape(name)}\s*==\s*([\w.]+)\s*$', constraints, re.M | re.I)
        if not m: out.append(f'constraints.txt does not pin {name} (`{name}==VERSION`)'); continue
        try: have = md.version(name)
        except md.PackageNotFoundError: continue
        if have != m.group(1): out.append(f'constraints.txt pins {name}=={m.group(1)}, {have} is installed')
    return out

def test_the_sites_theme_is_pinned():
    "The navigation fix in tools/docs/ch6.js is made for one version of the theme: constraints.txt pins it."
    assert not theme_pin_problems((ROOT/'constraints.txt').read_text()), theme_pin_problems((ROOT/'constraints.txt').read_text())
    text = (ROOT/'constraints.txt').read_text()
    assert len(theme_pin_problems(re.sub(r'(?m)^(sphinx-book-theme|pydata-sphinx-theme)==.*$', r'\1', text))) == 2
    assert len(theme_pin_problems(re.sub(r'(?m)^(sphinx-book-theme)==.*$', r'\1==0.0.1', text))) == 1

def tab_title_problems(title, site_title):
    "A browser tab that says nothing but the site's name, twice: 'fastai_ch6 — fastai_ch6'."
    parts = [t.strip() for t in re.split(r'\s+[—|-]\s+', title)]
    return [f'the tab reads {title!r}'] if len(parts) < 2 or len(set(parts)) < len(parts) or parts == [site_title] else []

def test_front_page_starts_the_reader(site):
    """The front page of a course: what you will learn, with a picture of each task; clone, install and open JupyterLab;
    the lessons; then the two commands. Benchmarks and maintainers' notes are on a page of their own."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(_page_html('index'), 'html.parser')
    main = soup.select_one('main article')
    heads = [h.get_text().replace('#', '').strip() for h in main.select('h2')]
    want = ['What you will learn', 'Start', 'What is in the course', 'Two commands']
    assert [h for h in heads if h in want] == want, f"the front page's sections: {heads}"
    sec = lambda title: main.select_one(f'section#{re.sub(r"[^a-z]+", "-", title.lower()).strip("-")}')
    assert len([i for i in sec('What you will learn').select('img') if i.get('alt')]) >= 2, "no picture of each task"
    start = sec('Start').get_text()
    for step in ('git clone https://', 'pip install', 'jupyter lab'): assert step in start, f"Start lacks {step!r}"
    lessons = {a['href'].split('#')[0] for a in sec('What is in the course').select('a[href]')}
    missing = [p for p in site['pages'] if p not in ('index', 'maintainers') and f'{p}.html' not in lessons]
    assert not missing, f"lessons missing from the front page's table: {missing}"
    text = main.get_text()
    for gone in ('AVX512', 'For maintainers\n', 'bench/'):
        assert gone not in text, f"the front page still has {gone!r}: it belongs on the maintainers' page"
    assert 'maintainers' in site['pages'] and 'AVX512' in _page_html('maintainers')
    title = soup.title.get_text()
    assert not tab_title_problems(title, site['pages']['index']), tab_title_problems(title, site['pages']['index'])
    assert tab_title_problems('fastai_ch6 — fastai_ch6', 'fastai_ch6')          # the check can fail

@pytest.fixture(scope='session')
def lookup():
    from quarto_to_myst import doc_lookup
    return doc_lookup()

def test_the_doc_link_lookup_knows_fastai_and_pytorch(lookup):
    "nbdev's lookup, as the build uses it: fastai and fastcore by short names, PyTorch (nbdev-pytorch, in the dev extra) by alias."
    for name, host in [('DataBlock', 'docs.fast.ai'), ('Learner.lr_find', 'docs.fast.ai'), ('test_eq', 'fastcore.fast.ai'),
                       ('nn.BCEWithLogitsLoss', 'pytorch.org'), ('F.binary_cross_entropy_with_logits', 'pytorch.org'),
                       ('torch.where', 'pytorch.org'), ('np.genfromtxt', 'numpy.org'), ('pd.read_csv', 'pandas.pydata.org'),
                       ('pathlib.Path', 'docs.python.org')]:
        assert host in (lookup.doc(name) or ''), f"nbdev's lookup does not know {name} ({lookup.doc(name)}): is the dev extra installed?"

def test_documented_names_and_lessons_are_links(site, lookup):
    """Every backticked name nbdev's lookup knows (fastai, fastcore, PyTorch, NumPy, pandas, the standard library) is a link to
    its documentation, and every "lesson N" is a link to that lesson, in every page's prose."""
    from nbdev.config import get_config
    cfg = get_config(path=ROOT); own = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/')
    bad = [m for page in sorted(site['pages']) for m in unlinked_problems(_page_html(page), page, lookup, own)]
    assert not bad, '\n'.join(bad)
    html = ''.join(_page_html(p) for p in site['pages'])
    assert html.count('href="https://docs.fast.ai/') > 50 and html.count('href="https://pytorch.org/') > 5
    page = _victim(site)
    fault = _inject(_page_html(page), '<p>Build it with <code class="docutils literal notranslate"><span class="pre">DataBlock</span></code>, '
                    'train it with <code class="docutils literal notranslate"><span class="pre">nn.BCEWithLogitsLoss</span></code>, as lesson 16 does.</p>')
    found = unlinked_problems(fault, page, lookup, own)
    assert len(found) == 3, f"the check missed an unlinked name or lesson: {found}"

@needs_chromium
def test_the_sidebar_numbers_the_lessons(site, server, browser):
    ctx, log = browser
    pg = _open(ctx, log, server + '/index.html')
    items = pg.evaluate("() => [...document.querySelectorAll('.bd-sidebar-primary nav a.reference.internal')]"
                        ".map(a => [a.getAttribute('href'), a.innerText.trim()])")
    pg.close()
    bad = []
    for nb in site['nbs']:
        m = re.match(r'^(\d+)_', nb)
        if not m: continue
        texts = [t for h, t in items if h.split('#')[0] == f'{_page_of(site, nb)}.html']
        if not texts or not texts[0].startswith(f'{m.group(1)} · '): bad.append(f'{nb}: sidebar entry {texts}')
    assert not bad, '\n'.join(bad)
