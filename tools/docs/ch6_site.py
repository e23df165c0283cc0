"""A small Sphinx extension for the course's site (loaded by tools/docs/conf.py).

- Description, OpenGraph and Twitter-card meta tags on every page, as Quarto writes them when `_quarto.yml` sets
  `open-graph: true` and `twitter-card: true`: the page's own title and description (from the notebook's front
  matter, kept by tools/build_docs.py in the notebook's `ch6_page` metadata), else the site's (settings.ini).
- A copy button on every code block: sphinx-copybutton where it is installed, else ch6-copybutton.js (same class).
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

def setup(app):
    app.add_config_value('ch6_description', '', 'html')
    app.add_config_value('ch6_open_graph', True, 'html')
    app.add_config_value('ch6_twitter_card', True, 'html')
    app.connect('html-page-context', add_meta)
    if importlib.util.find_spec('sphinx_copybutton'):
        app.setup_extension('sphinx_copybutton')
    else:
        app.add_js_file('ch6-copybutton.js')
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
