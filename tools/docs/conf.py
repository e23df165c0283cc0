"""Sphinx configuration for the offline documentation site (see tools/build_docs.sh).

The sources are the notebooks nbdev processed into `_proc/`, adapted by tools/quarto_to_myst.py and
staged in build/docs_src/; the site goes to `_docs/` (settings.ini's doc_path). Values come from
settings.ini so that this site and Quarto's (`nbdev_docs`) carry the same title, links and footer.
"""
import sys
from pathlib import Path
from nbdev.config import get_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))             # ch6_site, the site's own small extension
cfg = get_config(path=ROOT)

project = cfg.title
author = cfg.author
copyright = cfg.copyright
release = cfg.version

# ch6_site: description/OpenGraph meta, and a copy button (sphinx-copybutton when installed, else a local script)
extensions = ['myst_nb', 'sphinx.ext.githubpages', 'ch6_site']
ch6_description = cfg.description
import yaml
_site = (yaml.safe_load((ROOT/cfg.nbs_path.name/'_quarto.yml').read_text()) or {}).get('website', {})
ch6_open_graph = bool(_site.get('open-graph', True))       # as nbs/_quarto.yml asks Quarto
ch6_twitter_card = bool(_site.get('twitter-card', True))
copybutton_selector = 'div:not(.output) > div.highlight pre'     # code, not outputs
copybutton_prompt_text = r'>>> |\.\.\. |\$ '
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False
exclude_patterns = ['**.ipynb_checkpoints']

# Notebooks are rendered with their saved outputs: nothing is executed.
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'        # show_doc tables and other markdown outputs
nb_ipywidgets_js = {}                     # no widget JavaScript from a CDN
nb_output_stderr = 'show'
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'deflist', 'html_image']
myst_heading_anchors = 4                  # [text](page.ipynb#name) links to headings, checked at build time
myst_dmath_double_inline = True
# Heading levels: tools/quarto_to_myst.py renumbers them (show_doc writes `###` under a page's `#` title), so
# MyST's header-level warning stays on, as an error.

# MathJax 3 served from this site (copied from the npm package by tools/build_docs.py), never a CDN.
mathjax_path = 'mathjax/tex-chtml.js'

html_theme = 'sphinx_book_theme'
html_title = cfg.title
html_baseurl = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/') + '/'
html_static_path = [str(ROOT/'build'/'docs_static')]
# the notebooks (for "Download notebook") and favicon.ico, at the site's root; made by tools/build_docs.py
html_extra_path = [str(p) for p in [ROOT/'build'/'docs_extra'] if p.exists()]
html_favicon = str(HERE/'favicon.svg')
html_css_files = ['styles.css', 'ch6.css']
html_js_files = ['ch6.js']
html_copy_source = False
# No general index: the course's pages define no Sphinx domain objects, so genindex.html would be an empty page that
# every page's header links to.
html_use_index = False
html_domain_indices = False
html_show_sourcelink = False
html_theme_options = {
    'repository_url': cfg.git_url,
    'repository_branch': cfg.branch,
    'path_to_docs': cfg.nbs_path.name,
    'use_repository_button': True,
    'use_issues_button': True,
    'use_download_button': False,
    'home_page_in_toc': True,
    'show_toc_level': 2,
}
html_context = {'default_mode': 'light'}
# The theme's header already has a search box: keep the sidebar to the logo and the lessons.
html_sidebars = {'**': ['navbar-logo.html', 'icon-links.html', 'sbt-sidebar-nav.html']}
