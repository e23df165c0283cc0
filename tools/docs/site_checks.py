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
         'library name link', 'progress bar', 'progress text', 'index link')
# A text progress bar saved in an output (fastprogress or tqdm on a console: one line per update, joined by carriage
# returns): block characters, a bar of dashes, or "12.50% [1/8 00:00<00:01]".
PROGRESS_TEXT = re.compile(r'[\r\u2580-\u259f]|\|[-#=]{8,}\||\b\d{1,3}(?:\.\d+)?% ?\[\d+/\d+ \d\d:\d\d|\d+%\|[ #-]*\|')
# An image's alt text that says nothing: empty, or the file name MyST-NB gives an output (a hash)
HASH_NAME = re.compile(r'^\s*(?:[0-9a-f]{16,}(?:\.\w+)?|image|figure)?\s*$', re.I)
def _says_nothing(alt):
    "An alt text of no words: empty, white space, escape sequences (`\\n`), punctuation."
    return not re.search(r'[^\W\d_]{2}', re.sub(r'\\[ntr]', ' ', alt))
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
        if alt is None or HASH_NAME.match(alt) or _says_nothing(alt) or alt.strip() == img.get('src', '').rsplit('/', 1)[-1]:
            add('image alt', f'<img src="{img.get("src", "")[-60:]}" alt="{alt}">')
    for a in main.select('a[href]'):
        prev = a.previous_sibling
        if re.match(r'^[a-z][a-z0-9+.-]*:', a['href']) or not isinstance(prev, str): continue
        if LIBRARY_OWNER.search(prev):
            add('library name link', f'{prev[-30:]}<a href="{a["href"]}">{a.get_text()}</a> (a fastai or PyTorch name linked to this site)')
    for a in soup.select('a[href], link[href]'):   # Sphinx's general index: empty for notebooks, linked from every page's head
        if re.search(r'(^|/)genindex\.html', a['href']): add('index link', str(a)[:120])
    for b in main.select('progress'): add('progress bar', f'{b} {b.next_sibling or ""}'[:120])   # a frozen moment of a run
    for o in main.select('div.cell_output'):
        ot = o.get_text('')
        for m in PROGRESS_TEXT.finditer(ot): add('progress text', ot[max(0, m.start()-40):m.end()+40]); break
    for o in main.select('div.cell_output, div.output'):
        ot = o.get_text('\n')
        for m in WARNING.finditer(ot): add('Python warning', ot[max(0, m.start()-80):m.end()+80])
    # Last, as it takes the page apart: the prose without math, code and scripts, where TeX must not show.
    for e in main.select('.math, mjx-container, pre, code, .highlight, script'): e.decompose()
    ptext = main.get_text(' ')
    for m in RAW_TEX.finditer(ptext): add('raw TeX', ptext[max(0, m.start()-40):m.end()+40])
    return list(dict.fromkeys(out))

# In the page: what sticks out of the page or scrolls sideways, and code blocks without a copy button.
# Nothing may stick out of the text column or make the page scroll sideways, at any width: headings (long API names
# wrap), paragraphs, tables, equations, figures. Some boxes may scroll sideways inside themselves: code and text
# outputs (`pre`: a wrapped line would lose its indentation or layout), displayed equations and figures too wide to show
# with readable text (see MIN_TEXT_PX), at every width; on phones and tablets (below 992 px) also tables in outputs. Anything else that scrolls is a problem.
NARROW = 992
OVERFLOW_JS = """(narrow) => {
  const art = document.querySelector('main article') || document.querySelector('main');
  const right = Math.min(art.getBoundingClientRect().right, window.innerWidth), out = [];
  const scrolls = el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX);
  const inScrollBox = el => { for (let e = el.parentElement; e && e !== art; e = e.parentElement) if (scrolls(e)) return true; return false; };
  const mayScroll = el => el.matches('pre, mjx-container, div.cell_output:has(> img)') ||
    (narrow && el.matches('.pst-scrollable-table-container, div.output, div.cell_output'));
  const say = (el, what) => out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${what}: ` +
                                     (el.innerText || el.getAttribute('alt') || '').slice(0, 70).replace(/\\s+/g, ' '));
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px in ${window.innerWidth}px`);
  for (const el of art.querySelectorAll('h1, h2, h3, h4, h5, h6, pre, table, mjx-container, .pst-scrollable-table-container, ' +
                                        'div.output, div.cell_output, div.highlight, img, p, dl, li')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;                                     // not shown
    if (el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'IMG' &&       // its content is wider than its box
        !el.matches('mjx-container:not([display="true"])')) {     // (inline math's box is a pixel or two off)
      if (!(scrolls(el) && mayScroll(el)))
        say(el, `${scrolls(el) ? 'scrolls' : 'sticks out'}: ${el.scrollWidth}px of content in ${el.clientWidth}px`);
    } else if (r.right > right + 1 && !inScrollBox(el)) say(el, `sticks out: its right edge at ${Math.round(r.right)}px, the column's at ${Math.round(right)}px`);
  }
  return out;
}"""
COPY_JS = """() => [...document.querySelectorAll('main div.highlight')]
  .filter(d => !d.parentElement.classList.contains('output') && !d.querySelector('button.copybtn'))
  .map(d => d.innerText.slice(0, 70).replace(/\\s+/g, ' '))"""
# Figures: the text of a figure shown smaller than its size shrinks with it (7-px titles in a picture grid shown at 72%).
# A figure's smallest text at its own size is in its class `ch6-text-N-D` (N.D px, as Sphinx writes `ch6-text-N.D`; tools/quarto_to_myst.py works it out
# from the font sizes its code asks for), else matplotlib's default, 10 pt at 100 dpi (13.9 px). Shown, it must be at
# least MIN_TEXT_PX. The size a figure is meant to have: its `width` attribute where the notebook gave one (a retina
# figure saved at twice its size declares its size in CSS pixels), else its size in pixels.
MIN_TEXT_PX = 9
DEFAULT_TEXT_PX = 10 * 100 / 72
FIGURE_JS = """() => [...document.querySelectorAll('main article img')].filter(i => i.naturalWidth > 0)
  .map(i => [parseFloat(i.getAttribute('width')) || i.naturalWidth, i.getBoundingClientRect().width,
             parseFloat(([...i.classList].find(c => /^ch6-text-[0-9]+(-[0-9]+)?$/.test(c)) || '').slice(9).replace('-', '.')) || null,
             (i.alt || i.getAttribute('src') || '').slice(0, 70)])"""
# Code and outputs keep their lines (Quarto's `code-overflow: scroll`): a wrapped line loses its Python indentation and a
# wrapped `ch6 --help` its columns. A function's signature (show_doc: the block under its source/notebook links) may wrap.
WRAPPED_JS = """() => [...document.querySelectorAll('main article pre')]
  .filter(p => !['pre', 'nowrap'].includes(getComputedStyle(p).whiteSpace) &&
               !p.matches('p:has(> a.ch6-notebook-link) + div[class*="highlight-"] pre'))
  .map(p => p.innerText.slice(0, 70).replace(/\\s+/g, ' '))"""
ICON_JS = """() => [[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href), new URL('favicon.ico', document.baseURI).href]"""

def browser_problems(pg, page='page'):
    "[(kind, message)] for a page open in Playwright, at its viewport's width: overflow, copy buttons, wrapped code, figure text, favicon."
    width = pg.viewport_size['width']
    out = [('overflow', f'{page}: at {width} px: {m}') for m in pg.evaluate(OVERFLOW_JS, width < NARROW)]
    out += [('copy button', f'{page}: code block without a copy button: {m!r}') for m in pg.evaluate(COPY_JS)]
    out += [('wrapped code', f'{page}: a code block or output wraps its lines: {m!r}') for m in pg.evaluate(WRAPPED_JS)]
    for w, shown, text, alt in pg.evaluate(FIGURE_JS):
        px = (text or DEFAULT_TEXT_PX) * shown / w
        if px < MIN_TEXT_PX - 0.05:
            out.append(('figure text', f'{page}: at {width} px a {w:.0f}-px figure is shown {shown:.0f} px wide ({shown/w:.0%}), '
                        f'its {text or DEFAULT_TEXT_PX:.1f}-px text at {px:.1f} px: {alt!r}'))
    # the icons, fetched outside the page: Chromium does not let Playwright route a page's own favicon.ico request
    links, ico = pg.evaluate(ICON_JS)
    if not links: out.append(('favicon', f'{page}: no <link rel=icon>: browsers ask for /favicon.ico'))
    for u in [*links, ico]:
        r = pg.context.request.get(u)
        if not r.ok: out.append(('favicon', f'{page}: favicon: {r.status} {u}'))
    return out

# Phones and tablets: the buttons a reader sees in the article's header open the site's navigation (☰) and the page's
# contents, each a dialog, and a link in it can be followed.
NAV_BUTTONS = (('.primary-toggle', '#pst-primary-sidebar-modal', 'the site navigation (☰)'),
               ('.secondary-toggle', '#pst-secondary-sidebar-modal', "the page's contents"))

def navigation_problems(pg, page='page'):
    """[messages] for a page open in Playwright at a narrow width: each visible navigation button must open its dialog,
    on screen, whose first link to another page (the navigation) or to a section (the contents) must be followed."""
    out, width = [], pg.viewport_size['width']
    url = pg.url
    for button, dialog, what in NAV_BUTTONS:
        if pg.url != url: pg.goto(url, wait_until='load')
        shown = [b for b in pg.query_selector_all(button) if b.is_visible()]
        if not shown: out.append(f'{page} at {width} px: no button for {what} is shown'); continue
        shown[0].click()
        try: pg.wait_for_selector(f'{dialog}[open]', timeout=3000)
        except Exception: out.append(f'{page} at {width} px: the button for {what} opens nothing'); continue
        box = pg.evaluate(f"() => {{ const r = document.querySelector('{dialog}').getBoundingClientRect(); "
                          "return [r.left, r.right, r.width, r.height, window.innerWidth]; }")
        if box[2] < 100 or box[3] < 100 or box[0] < -1 or box[1] > box[4] + 1:
            out.append(f'{page} at {width} px: the dialog of {what} is not on screen: {box}'); continue
        here = url.split('#')[0].rsplit('/', 1)[-1]
        links = [a for a in pg.query_selector_all(f'{dialog} a[href]') if a.is_visible()
                 and (a.get_attribute('href').split('#')[0] not in ('', '#', here) if button == '.primary-toggle'
                      else a.get_attribute('href').startswith('#'))]
        if not links: out.append(f'{page} at {width} px: the dialog of {what} has no link to follow'); continue
        target = links[-1].get_attribute('href')
        links[-1].click()
        try: pg.wait_for_function(f"() => location.href.endsWith({target!r})", timeout=5000)
        except Exception: out.append(f'{page} at {width} px: following {target!r} in {what} went nowhere ({pg.url})')
    return out

# Names and lessons that should be links: every "lesson N" in prose, and every backticked name that nbdev's doc-link
# lookup knows (tools/quarto_to_myst.py doc_lookup: the course's, fastai's, fastcore's, PyTorch's, NumPy's, pandas',
# the standard library's), outside code, headings and links.
LESSON_TEXT = re.compile(r'\b[Ll]essons?\s+\d{1,2}\b')

def _prose(el):
    "Whether `el` is in the page's prose: not in a link, code block, heading, output or the sidebars."
    return not el.find_parent(['a', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'nav', 'script', 'style']) and \
        not el.find_parent(class_=['highlight', 'cell_output', 'output', 'prev-next-area', 'bd-sidebar-secondary'])

def unlinked_problems(html, page='page', lookup=None, own=None):
    """[messages]: 'lesson N' mentions that are not links, and (given `lookup`) documented names in backticks that are not;
    names documented at `own` (the course's published site: nbdev links those itself, where a page documents them) aside."""
    soup = BeautifulSoup(html, 'html.parser'); main = _main(soup); out = []
    for t in main.find_all(string=LESSON_TEXT):
        if _prose(t) and not t.find_parent('code'):
            for m in LESSON_TEXT.finditer(t): out.append(f'{page}: {m.group(0)!r} is not a link: …{t[max(0, m.start()-40):m.end()+20]}…')
    if lookup is not None:
        for c in main.select('code'):
            name = re.sub(r'\(\)$', '', c.get_text().strip())
            url = lookup.doc(name) if re.fullmatch(r'[A-Za-z_][\w.]*', name) else None
            if _prose(c) and url and not (own and url.startswith(own)):
                out.append(f'{page}: `{name}` is not a link to its documentation ({lookup.doc(name)})')
    return out
