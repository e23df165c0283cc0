"""What the documentation site must never show a reader, as checks that return the problems they find.

Used by tests/test_docs_site.py on every built page, and on copies of pages with each fault injected, to show that
every check can fail. Static checks read a page's HTML; browser checks run in the page (headless Chromium).
"""
import re
from bs4 import BeautifulSoup

# Paths of the machine that built the site: home folders, temporary folders, virtual environments and site-packages.
MACHINE_PATH = re.compile(r'(?<![\w.-])(?:/root/|/home/[\w.-]+|/Users/[\w.-]+/|/tmp/|/private/var/folders/|/var/folders/'
                          r'|[A-Za-z]:\\\\?Users\\\\?)|site-packages|dist-packages|/\.?venv[\w.-]*/(?:lib|bin)/')
OPTION_LINE = re.compile(r'^\s*#\|\s*[\w-]+', re.M)                       # nbdev/Quarto cell options
RAW_TEX = re.compile(r'\$\$|\$[^$\s][^$\n]*?[^$\s\\]\$|\$[^$\s]\$|\\\(|\\\)|\\\[|\\\]|\\(?:frac|sum|sigma|mathrm|log)\b')
QUARTO = re.compile(r'^\s*:::|\{\.callout-|\{target=|\{#sec-|\{\.column-', re.M)
WARNING = re.compile(r'\b[A-Z]\w*Warning\b|^\s*warn(?:ing)?s?\.warn\(|^Warning:', re.M)
KINDS = ('machine path', 'cell option', 'raw TeX', 'notebook link', 'Quarto fence', 'Python warning', 'image alt',
         'library name link', 'progress bar')
# An image's alt text that says nothing: empty, or the file name MyST-NB gives an output (a hash)
HASH_NAME = re.compile(r'^\s*(?:[0-9a-f]{16,}(?:\.\w+)?|image|figure)?\s*$', re.I)
# "fastai's `accuracy_multi`", "PyTorch's `where`": the text right before a link that names a library's own function
LIBRARY_OWNER = re.compile(r"\b(?:fastai|PyTorch|torch)['’]s\s*$", re.I)

def _main(soup):
    return soup.select_one('main article') or soup.select_one('main') or soup

def static_problems(html, page='page'):
    "[(kind, message)] for one page's HTML: the checks that need no browser."
    soup = BeautifulSoup(html, 'html.parser')
    for s in soup(['script', 'style']): s.decompose()
    main = _main(soup); out = []
    def add(kind, what): out.append((kind, f'{page}: {kind}: {what.strip()[:160]!r}'))
    whole = str(soup)
    for m in MACHINE_PATH.finditer(whole): add('machine path', whole[max(0, m.start()-60):m.end()+60])
    text = main.get_text('\n')
    for m in OPTION_LINE.finditer(text): add('cell option', text[m.start():text.find('\n', m.start())])
    for a in main.select('a[href]'):
        h = a['href']
        if '.ipynb' not in h: continue
        download = a.has_attr('download') and '#' not in h and not re.match(r'^[a-z]+:', h)
        external = re.match(r'^https://(colab\.research\.google\.com|github\.com)/', h)
        if not (download or external): add('notebook link', f'href="{h}" ({a.get_text()})')
    for m in re.finditer(r'\]\([^)\s]*\.ipynb', text): add('notebook link', text[max(0, m.start()-40):m.end()+20])
    for m in QUARTO.finditer(text): add('Quarto fence', text[m.start():m.start()+80])
    for img in main.select('img'):
        alt = img.get('alt')
        if alt is None or HASH_NAME.match(alt) or alt.strip() == img.get('src', '').rsplit('/', 1)[-1]:
            add('image alt', f'<img src="{img.get("src", "")[-60:]}" alt="{alt}">')
    for a in main.select('a[href]'):
        prev = a.previous_sibling
        if re.match(r'^[a-z][a-z0-9+.-]*:', a['href']) or not isinstance(prev, str): continue
        if LIBRARY_OWNER.search(prev):
            add('library name link', f'{prev[-30:]}<a href="{a["href"]}">{a.get_text()}</a> (a fastai or PyTorch name linked to this site)')
    for b in main.select('progress'): add('progress bar', f'{b} {b.next_sibling or ""}'[:120])   # a frozen moment of a run
    for o in main.select('div.cell_output, div.output'):
        ot = o.get_text('\n')
        for m in WARNING.finditer(ot): add('Python warning', ot[max(0, m.start()-80):m.end()+80])
    # Last, as it takes the page apart: the prose without math, code and scripts, where TeX must not show.
    for e in main.select('.math, mjx-container, pre, code, .highlight, script'): e.decompose()
    ptext = main.get_text(' ')
    for m in RAW_TEX.finditer(ptext): add('raw TeX', ptext[max(0, m.start()-40):m.end()+40])
    return list(dict.fromkeys(out))

# In the page: elements that scroll sideways or stick out of the text column, and code blocks without a copy button.
OVERFLOW_JS = """() => {
  const art = document.querySelector('main article') || document.querySelector('main');
  const right = art.getBoundingClientRect().right, out = [];
  for (const el of art.querySelectorAll('pre, table, mjx-container, .pst-scrollable-table-container, div.output, div.cell_output, div.highlight, img, p, dl')) {
    const cs = getComputedStyle(el), r = el.getBoundingClientRect();
    const scrolls = ['auto', 'scroll', 'hidden'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
    if (scrolls || r.right > right + 1)
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${el.scrollWidth}px in ${el.clientWidth}px: ` +
               (el.innerText || '').slice(0, 70).replace(/\\s+/g, ' '));
  }
  return out;
}"""
COPY_JS = """() => [...document.querySelectorAll('main div.highlight')]
  .filter(d => !d.parentElement.classList.contains('output') && !d.querySelector('button.copybtn'))
  .map(d => d.innerText.slice(0, 70).replace(/\\s+/g, ' '))"""
# Figures: a plot saved wider than the text column is shown scaled down, and its titles and labels with it (a
# 1190-px matplotlib figure shown at 58% has 5-px titles). Below this scale a figure is too small to read.
MIN_FIGURE_SCALE = 0.7
# The size a figure is meant to have: its `width` attribute where the notebook gave one (a retina figure saved at
# twice its size declares its size in CSS pixels), else its size in pixels.
SCALE_JS = """() => [...document.querySelectorAll('main article img')].filter(i => i.naturalWidth > 0)
  .map(i => [parseFloat(i.getAttribute('width')) || i.naturalWidth, i.getBoundingClientRect().width,
             (i.alt || i.getAttribute('src') || '').slice(0, 70)])"""
ICON_JS = """() => [[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href), new URL('favicon.ico', document.baseURI).href]"""

def browser_problems(pg, page='page'):
    "[(kind, message)] for a page open in Playwright at 1280 px: overflow, copy buttons, figures shrunk unreadably, favicon."
    out = [('overflow', f'{page}: overflows at {pg.viewport_size["width"]} px: {m}') for m in pg.evaluate(OVERFLOW_JS)]
    out += [('copy button', f'{page}: code block without a copy button: {m!r}') for m in pg.evaluate(COPY_JS)]
    out += [('figure scale', f'{page}: a {w}-px figure shown {shown:.0f} px wide ({shown/w:.0%}): make it at most '
             f'{shown/MIN_FIGURE_SCALE:.0f} px (a smaller figsize) or its fonts larger: {alt!r}')
            for w, shown, alt in pg.evaluate(SCALE_JS) if shown < MIN_FIGURE_SCALE*w]
    # the icons, fetched outside the page: Chromium does not let Playwright route a page's own favicon.ico request
    links, ico = pg.evaluate(ICON_JS)
    if not links: out.append(('favicon', f'{page}: no <link rel=icon>: browsers ask for /favicon.ico'))
    for u in [*links, ico]:
        r = pg.context.request.get(u)
        if not r.ok: out.append(('favicon', f'{page}: favicon: {r.status} {u}'))
    return out
