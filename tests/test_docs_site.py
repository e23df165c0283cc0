"""The documentation site, checked in a real browser (headless Debian Chromium driven by Playwright).

Builds the site with `bash tools/build_docs.sh` unless `_docs/` is newer than every notebook and docs
source (set DOCS_REBUILD=1 to force a build), serves `_docs/` on 127.0.0.1, and opens every page:
title, images loaded, MathJax typeset, sidebar in reading order, search, links, and not one request
leaving the machine. Screenshots of the front page and the first lesson go to artifacts/.
Skipped, with the reason, only where no Chromium is installed (`apt-get install chromium`).
"""
import functools, http.server, json, os, re, shutil, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urlparse, unquote

import pytest, yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS, SRC, ART = ROOT/'_docs', ROOT/'build'/'docs_src', ROOT/'artifacts'
sys.path.insert(0, str(ROOT/'tools'))
from quarto_to_myst import sidebar_entries

CHROMIUM = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package `chromium`, "
                                "installed by .ci/run): the docs site's browser test needs a real browser")
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-default-apps', '--mute-audio']

def _sources():
    yield from (ROOT/'nbs').glob('*')
    yield from (ROOT/'tools'/'docs').glob('*')
    yield from (ROOT/'tools'/f for f in ('build_docs.py', 'build_docs.sh', 'quarto_to_myst.py'))
    yield from (ROOT/'fastai_ch6').glob('*.py')     # show_doc output comes from the package
    yield ROOT/'settings.ini'

def _fresh():
    idx = DOCS/'index.html'
    return idx.exists() and SRC.exists() and idx.stat().st_mtime > max(p.stat().st_mtime for p in _sources() if p.exists())

@pytest.fixture(scope='module')
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
        pages[f.stem] = m.group(1).strip()
    order = [n for _, ns in sidebar_entries(yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text())) for n in ns]
    nbs = sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb'))
    return {'pages': pages, 'order': order, 'nbs': nbs}

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@pytest.fixture(scope='module')
def server(site):
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(DOCS)))
    th = threading.Thread(target=srv.serve_forever, daemon=True); th.start()
    yield f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown(); srv.server_close()

@pytest.fixture(scope='module')
def browser(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp('chromium-profile')),
                                                   executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                   viewport={'width': 1280, 'height': 900})
        log = {'outside': [], 'failed': [], 'bad_status': [], 'console': []}
        def route(r):   # anything not served by our server is refused, and recorded
            u = r.request.url
            if u.startswith(server + '/') or u.startswith(('data:', 'blob:', 'about:')): r.continue_()
            else: log['outside'].append(u); r.abort()
        ctx.route('**/*', route)
        ctx.on('requestfailed', lambda r: log['failed'].append(f'{r.url} ({r.failure})'))
        ctx.on('response', lambda r: r.status >= 400 and log['bad_status'].append(f'{r.status} {r.url}'))
        yield ctx, log
        ctx.close()

def _open(ctx, log, url):
    pg = ctx.new_page()
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

@needs_chromium
def test_pages_render_in_the_browser(site, server, browser):
    ctx, log = browser
    ART.mkdir(exist_ok=True)
    n_math = 0; problems = []
    lessons = [_page_of(site, n) for n in site['order'] if n != 'index.ipynb']
    for page, title in sorted(site['pages'].items()):
        pg = _open(ctx, log, f'{server}/{page}.html')
        if pg.title() != f"{title} — {site['pages']['index']}" and not pg.title().startswith(title):
            problems.append(f'{page}: title {pg.title()!r}, expected {title!r}')
        h1 = pg.inner_text('main h1').replace('#', '').strip()
        if h1 != title: problems.append(f'{page}: heading {h1!r}, expected {title!r}')
        imgs = pg.evaluate("() => [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])")
        problems += [f'{page}: image {s[:80]} did not load' for s, w in imgs if not w]
        math = pg.evaluate("() => document.querySelectorAll('div.math, span.math').length")
        if math:
            pg.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15000)
            pg.evaluate("() => MathJax.startup.promise")
            done = pg.evaluate("() => [document.querySelectorAll('mjx-container').length, "
                               "document.querySelectorAll('mjx-merror').length, "
                               "[...document.querySelectorAll('div.math, span.math')].filter(e => !e.querySelector('mjx-container')).length]")
            if done[0] < math or done[1] or done[2]:
                problems.append(f'{page}: MathJax typeset {done[0]} of {math} formulas, {done[1]} errors, {done[2]} left as TeX')
            n_math += math
        if page == 'index': pg.screenshot(path=str(ART/'docs_index.png'))
        if lessons and page == lessons[0]: pg.screenshot(path=str(ART/f'docs_{page}.png'))
        pg.close()
    assert not problems, '\n'.join(problems)
    assert n_math > 0, "no page has math: the MathJax check checked nothing"
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
        if name == 'get_ctr' or not found: pg.screenshot(path=str(ART/'docs_search.png'))
        found += 1
        pg.close()
    assert found, "the site documents neither get_ctr nor pascal_2007"
    assert not log['outside'], log['outside']

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
