"""A small Sphinx extension for the course's site (loaded by tools/docs/conf.py).

- Description, OpenGraph and Twitter-card meta tags on every page, as Quarto writes them when `_quarto.yml` sets
  `open-graph: true` and `twitter-card: true`: the page's own title and description (from the notebook's front
  matter, kept by tools/build_docs.py in the notebook's `ch6_page` metadata), else the site's (settings.ini).
- The front page's browser tab names the course, not the site's title twice.
- A copy button on every code block: sphinx-copybutton where it is installed, else ch6-copybutton.js (same class).
- `_static/ch6-pagetext.js`: each page's text without the theme's chrome or TeX, by section, for search snippets
  when the site is opened from `file://`, where the browser refuses the `fetch` Sphinx's search uses (tools/docs/ch6.js).
"""
import html, importlib.util, json
from pathlib import Path

def _page_meta(app, pagename):
    try: f = Path(app.env.doc2path(pagename))
    except Exception: return {}
    if f.suffix != '.ipynb' or not f.exists(): return {}
    try: return json.loads(f.read_text(encoding='utf-8')).get('metadata', {}).get('ch6_page', {})
    except ValueError: return {}

def add_meta(app, pagename, templatename, context, doctree):
    if doctree is None and pagename != 'index': return          # search, genindex: no page of the course
    cfg = app.config
    meta = _page_meta(app, pagename)
    site = cfg.html_title or cfg.project
    title = meta.get('title') or (context.get('title') and html.unescape(context['title'])) or site
    desc = meta.get('description') or cfg.ch6_description
    url = (cfg.html_baseurl.rstrip('/') + '/' + ('' if pagename == 'index' else f'{pagename}.html')) if cfg.html_baseurl else ''
    tags = [('name', 'description', desc)]
    if cfg.ch6_open_graph:
        tags += [('property', 'og:title', title), ('property', 'og:description', desc), ('property', 'og:type', 'website'),
                 ('property', 'og:site_name', site)] + ([('property', 'og:url', url)] if url else [])
    if cfg.ch6_twitter_card:
        tags += [('name', 'twitter:card', 'summary'), ('name', 'twitter:title', title), ('name', 'twitter:description', desc)]
    context['metatags'] = context.get('metatags', '') + ''.join(
        f'\n<meta {k}="{v}" content="{html.escape(c, quote=True)}" />' for k, v, c in tags if c)

# Elements that are no part of a page's text: the theme's buttons and navigation, TeX, the lesson links.
CHROME = ['.headerlink', 'script', 'style', 'button', 'nav', '.bd-header-article', '.header-article-items',
          '.theme-switch-button', '.prev-next-area', '.bd-footer-article', '.bd-sidebar-secondary',
          '.ch6-lesson-links', '.ch6-offline-note', '.math', 'mjx-container', '.copybtn']

BLOCKS = ['p', 'pre', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', 'tr', 'td', 'th', 'dt', 'dd', 'br', 'table']

def _sections(el):
    "Simplified HTML of `el`: its own text, then its `<section id>`s, nested, so snippets can start at an anchor."
    from bs4 import Tag
    own, subs = [], []
    for ch in el.children:
        if isinstance(ch, Tag) and ch.name == 'section': subs.append(ch)
        elif isinstance(ch, Tag): own.append(ch.get_text(''))     # code tokens stay together: `im.shape`, not `im . shape`
        else: own.append(str(ch))
    text = html.escape(' '.join(' '.join(own).split()), quote=False)
    return text + ''.join(f' <section id="{html.escape(s.get("id", ""), quote=True)}">{_sections(s)} </section>' for s in subs)

def page_texts(outdir):
    "{page file name: simplified HTML of its article} for every HTML page of the built site."
    from bs4 import BeautifulSoup
    out = {}
    for f in sorted(Path(outdir).rglob('*.html')):
        rel = f.relative_to(outdir).as_posix()
        if rel in ('search.html', 'genindex.html') or rel.startswith('_'): continue
        soup = BeautifulSoup(f.read_text(encoding='utf-8'), 'html.parser')
        art = soup.select_one('[role="main"] article') or soup.select_one('[role="main"]')
        if art is None: continue
        for q in CHROME:
            for e in art.select(q): e.decompose()
        for e in art.find_all(BLOCKS): e.append(' ')          # words of two blocks stay apart
        out[rel] = f'<div role="main"><article>{_sections(art)}</article></div>'
    return out

def write_page_texts(app, exc):
    if exc is not None or app.builder.format != 'html': return
    js = 'window.CH6_PAGE_TEXT = ' + json.dumps(page_texts(app.outdir), ensure_ascii=False) + ';\n'
    (Path(app.outdir)/'_static'/'ch6-pagetext.js').write_text(js, encoding='utf-8')

def front_page_title(app, pagename, templatename, context, doctree):
    """The front page's browser tab: "Chapter 6 of ... as an executable nbdev course — fastai_ch6" (the site's description
    up to its colon), not "fastai_ch6 — fastai_ch6": the page's heading is the site's title."""
    if pagename != app.config.root_doc: return
    site = app.config.html_title or app.config.project
    title = html.unescape(context.get('title') or '')
    if title.strip() != site.strip(): return
    what = (app.config.ch6_description or '').split(':')[0].strip().rstrip('.')
    if what: context['title'] = html.escape(what)          # the theme adds " — fastai_ch6"

def setup(app):
    app.connect('html-page-context', front_page_title)
    app.connect('build-finished', write_page_texts)
    app.add_config_value('ch6_description', '', 'html')
    app.add_config_value('ch6_open_graph', True, 'html')
    app.add_config_value('ch6_twitter_card', True, 'html')
    app.connect('html-page-context', add_meta)
    if importlib.util.find_spec('sphinx_copybutton'):
        app.setup_extension('sphinx_copybutton')
    else:
        app.add_js_file('ch6-copybutton.js')
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
