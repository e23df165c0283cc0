"""Sphinx configuration for the offline documentation site (see tools/build_docs.sh).

The sources are the notebooks nbdev processed into `_proc/`, adapted by tools/quarto_to_myst.py and
staged in build/docs_src/; the site goes to `_docs/` (settings.ini's doc_path). Values come from
settings.ini so that this site and Quarto's (`nbdev_docs`) carry the same title, links and footer.
"""
from pathlib import Path
from nbdev.config import get_config

ROOT = Path(__file__).resolve().parents[2]
cfg = get_config(path=ROOT)

project = cfg.title
author = cfg.author
copyright = cfg.copyright
release = cfg.version

extensions = ['myst_nb', 'sphinx.ext.githubpages']
exclude_patterns = ['**.ipynb_checkpoints']

# Notebooks are rendered with their saved outputs: nothing is executed.
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'        # show_doc tables and other markdown outputs
nb_ipywidgets_js = {}                     # no widget JavaScript from a CDN
nb_output_stderr = 'show'
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'deflist', 'html_image']
myst_heading_anchors = 4                  # [text](page.ipynb#name) links to headings, checked at build time
myst_dmath_double_inline = True
# Quarto accepts a heading level jump (show_doc writes `###` under a page's `#` title); Sphinx would warn.
suppress_warnings = ['myst.header']

# MathJax 3 served from this site (copied from the npm package by tools/build_docs.py), never a CDN.
mathjax_path = 'mathjax/tex-chtml.js'

html_theme = 'sphinx_book_theme'
html_title = cfg.title
html_static_path = [str(ROOT/'build'/'docs_static')]
html_css_files = ['styles.css', 'ch6.css']
html_copy_source = False
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
