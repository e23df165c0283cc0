"""Adapt notebooks processed by nbdev (`_proc/*.ipynb`, written for Quarto) to MyST-NB for Sphinx.

nbdev's own processing (`nbdev.serve.proc_nbs`) has already removed `#| hide` and export cells and
added the `show_doc` output. What is left is Quarto-flavoured; this module turns it into what
MyST-NB renders the same way, and nothing else:

| Quarto (in `_proc`)                               | MyST-NB                                            |
|---------------------------------------------------|----------------------------------------------------|
| raw front-matter cell (`title`, `description`, `output-file`) | `# title` + a `description` container; the page is named after `output-file` |
| `::: {.callout-note}` ... `:::` (+ `title=` or a first `## heading`) | `:::{note}` / `:::{admonition} title` + `:class: note` |
| other fenced divs (`::: {.column-margin}`)         | their content                                     |
| `#| echo: false` / `#| include: false` / `#| output: false` | cell tag `remove-input` / cell dropped / `remove-output` |
| `#| output: asis` markdown output (`show_doc`)     | a markdown cell (so its heading is a real, linkable section) |
| `[text](url){target="_blank" ...}`                 | `<a href="url" target="_blank" ...>text</a>`       |
| links to the published site or to `NN_name.ipynb`  | links to the page in this site, checked by Sphinx  |
| `## Heading {#sec-id}`                             | `(sec-id)=` label + `## Heading`                   |
"""
import ast, html, json, re
from pathlib import Path

import yaml

CALLOUTS = {'note': 'note', 'tip': 'tip', 'warning': 'warning', 'caution': 'caution', 'important': 'important'}
KERNEL_META = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
               'language_info': {'name': 'python', 'pygments_lexer': 'ipython3'}}

def src(cell):
    "A cell's source as one string."
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s

def md_cell(text): return {'cell_type': 'markdown', 'metadata': {}, 'source': text}

# ---------------------------------------------------------------------------------------------
# Front matter

def page_name(nb_name):
    "The page nbdev/Quarto publish notebook `nb_name` as (nbdev's rule): `05_data.ipynb` -> `data`."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_name).stem.lower())

def pop_frontmatter(nb):
    "Remove the YAML front matter nbdev puts in a first raw cell and return it as a dict ({} if none)."
    cells = nb.get('cells', [])
    if cells and cells[0]['cell_type'] == 'raw':
        m = re.match(r'\s*---\s*\n(.*?)\n---\s*$', src(cells[0]), re.S)
        if m:
            cells.pop(0)
            return yaml.safe_load(m.group(1)) or {}
    return {}

def title_cells(fm):
    "Markdown cells that show the front matter's title and description as Quarto does."
    if not fm.get('title'): return []
    text = f"# {fm['title']}\n"
    if fm.get('description'): text += f"\n:::{{container}} description\n{fm['description']}\n:::\n"
    return [md_cell(text)]

# ---------------------------------------------------------------------------------------------
# Markdown: callouts, fenced divs, link attributes, links, heading ids

_FENCE_OPEN = re.compile(r'^(?P<colons>:{3,})\s*\{(?P<attrs>[^}]*)\}\s*$')
_FENCE_CLOSE = re.compile(r'^:{3,}\s*$')
_CODE_FENCE = re.compile(r'^\s*(```|~~~)')

def parse_attrs(s):
    "Pandoc attributes `{#id .class key=value key=\"v w\"}` (braces stripped) -> (id, classes, dict)."
    ident, classes, kv = None, [], {}
    for m in re.finditer(r'(?P<k>[\w-]+)=(?:"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>\S+))|(?P<tok>[#.]?[\w:-]+)', s):
        if m.group('k'): kv[m.group('k')] = next(v for v in (m.group('dq'), m.group('sq'), m.group('bare')) if v is not None)
        else:
            t = m.group('tok')
            if t.startswith('#'): ident = t[1:]
            elif t.startswith('.'): classes.append(t[1:])
    return ident, classes, kv

def _parse_divs(lines):
    "Lines -> a tree: each item is a line (str) or a dict(attrs=..., body=[...]) for a fenced div."
    root = {'body': []}; stack = [root]; in_code = None
    for line in lines:
        m = _CODE_FENCE.match(line)
        if m:
            if in_code is None: in_code = m.group(1)
            elif line.strip().startswith(in_code): in_code = None
            stack[-1]['body'].append(line); continue
        if in_code is None and (mo := _FENCE_OPEN.match(line)):
            div = {'attrs': mo.group('attrs'), 'body': []}
            stack[-1]['body'].append(div); stack.append(div); continue
        if in_code is None and _FENCE_CLOSE.match(line) and len(stack) > 1:
            stack.pop(); continue
        stack[-1]['body'].append(line)
    return root['body']

def _depth(body):
    "How many levels of admonitions are nested in `body`."
    return max([1 + _depth(o['body']) for o in body if isinstance(o, dict)] or [0])

def _emit(body):
    out = []
    for o in body:
        if isinstance(o, str): out.append(o); continue
        _, classes, kv = parse_attrs(o['attrs'])
        kind = next((c[len('callout-'):] for c in classes if c.startswith('callout-')), None)
        inner = _emit(o['body'])
        if kind not in CALLOUTS:                     # layout divs: Quarto-only, keep the content
            out += inner; continue
        title = kv.get('title')
        if title is None:                            # Quarto takes a first heading as the title
            first = next((i for i, l in enumerate(inner) if l.strip()), None)
            if first is not None and (h := re.match(r'^#{1,6}\s+(.*?)\s*$', inner[first])):
                title = h.group(1); inner = inner[first+1:]
        fence = ':' * (3 + _depth(o['body']))        # outer fences longer than inner ones, as MyST needs
        if title: out += [f'{fence}{{admonition}} {title}', f':class: {CALLOUTS[kind]}', '']
        else: out += [f'{fence}{{{CALLOUTS[kind]}}}']
        out += inner + [fence]
    return out

def convert_callouts(text):
    "Quarto callouts -> MyST admonitions; other Quarto fenced divs are replaced by their content."
    return '\n'.join(_emit(_parse_divs(text.split('\n'))))

_LINK_ATTRS = re.compile(r'(?<!!)\[(?P<text>[^\]]*)\]\(<?(?P<url>[^)\s>]+)>?\)\{(?P<attrs>[^}]*)\}')
_IMG_ATTRS = re.compile(r'(?P<img>!\[[^\]]*\]\([^)\s]+\))\{[^}]*\}')

def convert_link_attrs(text):
    "`[t](u){target=\"_blank\" style=...}` -> an HTML link with those attributes; attributes on images are dropped."
    def link(m):
        if not re.match(r'^[a-z][a-z0-9+.-]*:', m.group('url')):   # a page of this site: Sphinx checks it
            return f"[{m.group('text')}]({m.group('url')})"
        ident, classes, kv = parse_attrs(m.group('attrs'))
        attrs = {'href': m.group('url'), **({'id': ident} if ident else {}),
                 **({'class': ' '.join(classes)} if classes else {}), **kv}
        if attrs.get('target') == '_blank': attrs.setdefault('rel', 'noopener')
        a = ' '.join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        return f'<a {a}>{html.escape(m.group("text"), quote=False)}</a>'
    return _IMG_ATTRS.sub(r'\g<img>', _LINK_ATTRS.sub(link, text))

def convert_heading_ids(text):
    "`## Heading {#id .class}` -> a MyST label `(id)=` above `## Heading`."
    def h(m):
        ident, _, _ = parse_attrs(m.group(3))
        return (f'({ident})=\n' if ident else '') + f'{m.group(1)} {m.group(2)}'
    return re.sub(r'^(#{1,6})\s+(.*?)\s*\{([^}]*)\}\s*$', h, text, flags=re.M)

def slug(heading):
    "The anchor MyST gives a heading (myst_heading_anchors): `### DataFormatError` -> `dataformaterror`."
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')

def rewrite_links(text, pages, site_url, anchors=None):
    """Point links at this site's pages: `{site_url}/data.html#x` and `05_data.ipynb#x` -> `data.ipynb#x`.

    `pages` maps notebook file names (`05_data.ipynb`) to page names (`data`). Sphinx then checks every
    such link: one to a page or a heading that does not exist is a build warning, hence an error.
    Links into the published site whose page is not built here are left as they are. Where `anchors` ({page: set of
    anchors}) is given, nbdev's automatic links to a name that no page documents (a private helper, say) become the
    plain name: Quarto would publish them as links to nowhere."""
    by_page = {p: p for p in pages.values()}
    def local(path, anchor):
        if path in pages: page = pages[path]
        elif path.endswith('.html') and path[:-5] in by_page: page = path[:-5]
        else: return None
        return f'{page}.ipynb' + (f'#{anchor}' if anchor else '')
    def md_link(m):
        url = m.group('url'); path, _, anchor = url.partition('#')
        if site_url and path.startswith(site_url.rstrip('/') + '/'): path = path[len(site_url.rstrip('/')) + 1:]
        elif re.match(r'^[a-z][a-z0-9+.-]*:', path) or path.startswith('/'): return m.group(0)
        new = local(path, anchor) if path else None
        lib = _OWNER.search(m.string[max(0, m.start()-40):m.start()])
        if new is not None and lib and re.fullmatch(r'`[\w.]+(\(\))?`', m.group('text')):
            # "fastai's `accuracy_multi`": nbdev linked the course's own name; link fastai's docs, or nothing
            ext = fastai_doc_url(m.group('text').strip('`()')) if lib.group(1).lower() == 'fastai' else None
            return f'[{m.group("text")}]({ext})' if ext else m.group('text')
        if new is not None and anchors is not None and anchor and re.fullmatch(r'`[\w.]+(\(\))?`', m.group('text')) \
                and anchor.lower() not in anchors.get(new.split('.ipynb')[0], set()):
            return m.group('text')
        return m.group(0) if new is None else f'[{m.group("text")}]({new})'
    return re.sub(r'\[(?P<text>[^\]\[]*)\]\((?P<url>[^)\s]+)\)', md_link, text)

# A name said to be fastai's or PyTorch's, right before its link: "fastai's `accuracy_multi`", "PyTorch’s `where`"
_OWNER = re.compile(r"\b(fastai|PyTorch|torch)(?:['’]s)\s*$", re.I)

def fastai_doc_url(name):
    "The docs.fast.ai page of fastai's `name` (`accuracy_multi`, `Learner.fine_tune`), from fastai's nbdev index; None if unknown."
    try: from fastai._modidx import d
    except ImportError: return None
    host = d.get('settings', {}).get('doc_host', 'https://docs.fast.ai').rstrip('/')
    base = d.get('settings', {}).get('doc_baseurl', '/').strip('/')
    hits = sorted((k.count('.'), page) for syms in d.get('syms', {}).values() for k, (page, _) in syms.items()
                  if k.endswith('.' + name) and page)
    return f"{host}/{base + '/' if base else ''}{hits[0][1]}" if hits else None

# ---------------------------------------------------------------------------------------------
# Names and lessons as links

# What nbdev's doc-link lookup (nbdev.doclinks.NbdevLookup) links by their short names: the course's own, then fastai's
# and fastcore's (their `_modidx.py`); PyTorch, NumPy, pandas and the standard library by their full names
# (`torch.where`), from the nbdev-pytorch, nbdev-numpy, nbdev-pandas and nbdev-stdlib packages, and through the
# aliases the lessons use (`nn.BCELoss`, `F.binary_cross_entropy`, `np.genfromtxt`, `pd.read_csv`).
DOC_LIBS = ('fastai_ch6', 'fastai', 'fastcore')
DOC_ALIASES = {'nn': 'torch.nn', 'F': 'torch.nn.functional', 'np': 'numpy', 'pd': 'pandas'}

def doc_lookup(libs=DOC_LIBS, aliases=None):
    "nbdev's lookup of documented names, with `libs` known by their short names and `aliases` ({alias: module name})."
    from types import ModuleType
    from nbdev.doclinks import NbdevLookup
    return NbdevLookup(strip_libs=tuple(libs), ns={k: ModuleType(v) for k, v in (aliases or DOC_ALIASES).items()})

_NAME_SPAN = re.compile(r'(?<![\[\w`])`([A-Za-z_][\w.]*?)(\(\))?`(?![\]`])')

def _map_prose(text, fn):
    "`text` with `fn` applied to each line of prose: lines in code blocks, indented code and headings stay as they are."
    out, in_code = [], None
    for line in text.split('\n'):
        m = _CODE_FENCE.match(line)
        if m:
            if in_code is None: in_code = m.group(1)
            elif line.strip().startswith(in_code): in_code = None
        prose = in_code is None and not m and not re.match(r'^\s{0,3}#{1,6}\s', line) and not line.startswith('    ')
        out.append(fn(line) if prose else line)
    return '\n'.join(out)

def link_names(text, lookup):
    """Backticked names that `lookup` (doc_lookup) knows, as links to their documentation, as nbdev links them, in prose
    only: not in code blocks, headings or the text of a link."""
    def in_line(line):
        def one(m):
            if line[:m.start()].count('[') > line[:m.start()].count(']'): return m.group(0)     # inside a link's text
            url = lookup.doc(m.group(1))
            return f'[{m.group(0)}]({url})' if url else m.group(0)
        return _NAME_SPAN.sub(one, line)
    return _map_prose(text, in_line)

_LESSON = re.compile(r'(?<![\[\w/])\b([Ll]essons?)\s+(\d{1,2})\b((?:(?:,\s*|,?\s+and\s+|\s+or\s+|\s*[-–]\s*)\d{1,2}\b)*)')

def link_lessons(text, pages):
    """Every "lesson N" (and "lessons N and M") in prose as a link to that lesson's page: `pages` maps notebook file names
    (`16_train.ipynb`) to page names. Not in code, headings, or the text of a link; numbers with no lesson stay text."""
    by_num = {int(m.group(1)): n for n in pages if (m := re.match(r'^(\d+)_', n))}
    def target(num): return by_num.get(int(num))          # the notebook: rewrite_links makes it the page
    def in_line(line):
        spans = [(c.start(), c.end()) for c in re.finditer(r'`[^`]*`', line)]
        def one(m):
            before = line[:m.start()]
            if before.count('[') > before.count(']') or any(a <= m.start() < b for a, b in spans): return m.group(0)
            first = f'[{m.group(1)} {m.group(2)}]({target(m.group(2))})' if target(m.group(2)) else f'{m.group(1)} {m.group(2)}'
            rest = re.sub(r'\d{1,2}', lambda n: f'[{n.group(0)}]({target(n.group(0))})' if target(n.group(0)) else n.group(0),
                          m.group(3) or '')
            return first + rest
        return _LESSON.sub(one, line)
    return _map_prose(text, in_line)

def adapt_markdown(text, pages, site_url, anchors=None, lookup=None):
    "One markdown cell's text, adapted (see the module docstring); `lookup` (doc_lookup()) links documented names."
    text = convert_callouts(text)
    if lookup is not None: text = link_names(text, lookup)
    text = link_lessons(text, pages)
    text = rewrite_links(text, pages, site_url, anchors)
    text = convert_link_attrs(text)
    return convert_heading_ids(text)

# ---------------------------------------------------------------------------------------------
# Code cells: Quarto cell options

_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')

def cell_options(source):
    "Quarto/nbdev `#|` options at the top of a code cell -> (dict of lower-cased values, remaining source)."
    lines = source.split('\n'); opts = {}; i = 0
    while i < len(lines) and (m := _DIRECTIVE.match(lines[i])):
        opts[m.group(1)] = m.group(2).lower(); i += 1
    return opts, '\n'.join(lines[i:])

def _md_output(cell):
    "The text/markdown of an `output: asis` cell's outputs, or None."
    parts = []
    for o in cell.get('outputs', []):
        d = o.get('data', {})
        if 'text/markdown' in d: parts.append(src({'source': d['text/markdown']}))
        elif o.get('output_type') == 'stream' and not src({'source': o.get('text', '')}).strip(): continue
        else: return None
    return '\n\n'.join(parts) if parts else None

# ---------------------------------------------------------------------------------------------
# show_doc signatures: a wrapped signature and a parameter table, as docs.fast.ai shows them

def _split_top(s, sep=','):
    "Split `s` at `sep` outside brackets, quotes and `<help>` annotations (fastcore's `Param` help in `call_parse` signatures)."
    out, cur, depth, q, i = [], '', 0, None, 0
    while i < len(s):
        ch = s[i]
        if q:
            cur += ch
            if ch == '\\' and i + 1 < len(s): cur += s[i+1]; i += 1
            elif ch == q: q = None
        elif ch in '\'"': q = ch; cur += ch
        elif ch in '([{': depth += 1; cur += ch
        elif ch in ')]}': depth -= 1; cur += ch
        elif ch == '<' and depth == 0 and cur.endswith(' ') and ':' in cur: depth += 100; cur += ch   # ` <help>`
        elif ch == '>' and depth >= 100: depth -= 100; cur += ch
        elif ch == sep and depth == 0: out.append(cur); cur = ''
        else: cur += ch
        i += 1
    out.append(cur)
    return out

def _comment(line):
    "(code, comment) of one line: the comment starts at a `#` outside quotes."
    q = None
    for i, ch in enumerate(line):
        if q:
            if ch == q: q = None
        elif ch in '\'"': q = ch
        elif ch == '#': return line[:i], line[i+1:].strip()
    return line, ''

def parse_signature(code):
    """A `show_doc` signature block -> dict(name, params=[dict(name, type, default, doc)], ret, ret_doc), or None.

    nbdev writes `def name(\n    a:int=1, # docs\n)->str: # docs`; `call_parse` signatures write `a:int <help>=1`."""
    lines = code.rstrip('\n').split('\n')
    m = re.match(r'^(?:async\s+)?def\s+([\w.]+)\s*\((.*)$', lines[0])
    if not m: return None
    name, params, cur_line, docs = m.group(1), [], [], []
    body = [m.group(2)] + lines[1:]
    # the closing `)` of the signature: the last line that starts with `)` (nbdev puts it on its own line)
    close = max((i for i, l in enumerate(body) if re.match(r'^\s*\)', l)), default=None)
    if close is None:
        return None
    ret_code, ret_doc = _comment(body[close])
    rm = re.match(r'^\s*\)\s*(?:->\s*(.*?))?\s*:?\s*$', ret_code)
    if not rm: return None
    for line in body[:close]:
        c, doc = _comment(line)
        new = [p.strip() for p in _split_top(c) if p.strip()]
        for p in new:
            pm = re.match(r'^(?P<name>\*{0,2}\w+|\*|/)(?:\s*:\s*(?P<type>.*?))?(?:\s+<(?P<help>.*)>)?(?:\s*=\s*(?P<default>.*))?$', p, re.S)
            if not pm: return None
            params.append({'name': pm.group('name'), 'type': (pm.group('type') or '').strip(), 'default': pm.group('default'),
                           'doc': (pm.group('help') or '').strip()})
        for p in params[len(params)-len(new):]:
            if doc and not p['doc']: p['doc'] = doc
    return {'name': name, 'params': params, 'ret': (rm.group(1) or '').strip(), 'ret_doc': ret_doc}

def _collapse(params, min_run=5):
    "Runs of `min_run` or more undocumented parameters of the same type and default (fastai's callback events) -> one entry."
    out, i = [], 0
    while i < len(params):
        j = i
        key = lambda p: (p['type'], p['default'], p['doc'], p['name'].startswith('*'))
        while j + 1 < len(params) and key(params[j+1]) == key(params[i]) and not params[i]['doc']: j += 1
        if j - i + 1 >= min_run: out.append({**params[i], 'run': params[i:j+1]}); i = j + 1
        else: out.append(params[i]); i += 1
    return out

def _sig_param(p):
    if 'run' in p:
        a, b = p['run'][0], p['run'][-1]
        return f"{_sig_param(a)}, ..., {_sig_param(b)}"
    s = p['name'] + (f":{p['type']}" if p['type'] else '')
    return s + (f"={p['default']}" if p['default'] is not None else '')

def _cell(s): return s.replace('|', '\\|').replace('\n', ' ')

def signature_markdown(sig, info=None):
    """A parsed signature -> (a compact code block, wrapped by the site's CSS; a table of the parameters as docs.fast.ai
    shows it, or '' when no parameter is documented). `info` may say the name is a class and give its bases."""
    params = _collapse(sig['params'])
    info = info or {}
    if info.get('kind') == 'class':
        # nothing to say about construction: Exception's `*args, **kwargs`, or only fastai's callback events
        trivial = [p['name'] for p in sig['params']] in (['*args', '**kwargs'], []) or (len(params) == 1 and 'run' in params[0])
        head = f"class {sig['name']}" + (f"({', '.join(info.get('bases') or [])})" if info.get('bases') else '') + ':'
        code = head if trivial else f"{head}\n    def __init__(self, {', '.join(map(_sig_param, params))})"
        if trivial: params = []
    else:
        code = f"def {sig['name']}({', '.join(map(_sig_param, params))})" + (f" -> {sig['ret']}" if sig['ret'] else '')
    out, table = f'```python\n{code}\n```\n', ''
    if any(p['doc'] for p in sig['params']) or sig['ret_doc']:
        rows = ['| | Type | Default | Details |', '|---|---|---|---|']
        for p in params:
            name = f"`{p['name']}`" if 'run' not in p else f"`{p['run'][0]['name']}` … `{p['run'][-1]['name']}` ({len(p['run'])})"
            ty = f"`{_cell(p['type'])}`" if p['type'] else ''
            de = f"`{_cell(p['default'])}`" if p['default'] is not None else '*required*' if not p['name'].startswith('*') else ''
            rows.append(f"| {name} | {ty} | {de} | {_cell(p['doc'])} |")
        if sig['ret'] or sig['ret_doc']:
            rows.append(f"| **Returns** | {'`' + _cell(sig['ret']) + '`' if sig['ret'] else ''} | | {_cell(sig['ret_doc'])} |")
        table = '\n'.join(rows) + '\n'
    return out, table

def showdoc_markdown(text, info=None):
    """A `show_doc` output as page markdown: without its leading rule (a transition cannot start a section), its
    signature as a wrapped code block plus a parameter table. `info(name)` may describe the object (class, bases)."""
    text = re.sub(r'^\s*---\s*\n', '', text)
    # nbdev writes the `source` link above the heading: it would close the previous section; put it under the heading
    text = re.sub(r'^\s*(\[source\]\([^)]*\)(?:\{[^}]*\})?)\s*\n+(#{1,6} [^\n]*)\n', r'\2\n\n\1\n', text)
    tables = []
    def fence(m):
        code = m.group(1)
        sig = parse_signature(code)
        if sig is not None:
            block, table = signature_markdown(sig, info(sig['name']) if info else None)
            tables.append(table)
            return block
        for probe in (code, code.rstrip() + '\n    ...'):   # not a signature nbdev wrote: keep it if it is Python
            try: ast.parse(probe); return m.group(0)
            except SyntaxError: pass
        return f'```text\n{code}```'
    # the signature block comes first; docstrings may hold code blocks of their own, left as they are
    text = re.sub(r'^```python\n(.*?)^```[ \t]*\n?', fence, text, count=1, flags=re.M | re.S)
    if tables and tables[0]: text = text.rstrip() + '\n\n' + tables[0]     # after the docstring, as docs.fast.ai
    return text   # myst_heading_anchors gives the heading Quarto's id (`get_ctr`, `dataformaterror`)

_BAR = re.compile(r'<div>\s*<progress[^>]*>\s*</progress>[^<]*</div>|<progress[^>]*>\s*</progress>[^<]*', re.S)
_BAR_STYLE = re.compile(r'<style>(?:(?!</style>).)*\bprogress\s*\{(?:(?!</style>).)*</style>', re.S)

def drop_progress_bars(outputs):
    """Outputs without fastprogress's bars: a saved bar is a frozen moment of a run (two of them, at 25% and 100%, for
    one `fit`), and its stylesheet is an output of its own. A metrics table stays; an output left empty goes."""
    out = []
    for o in outputs:
        h = o.get('data', {}).get('text/html')
        if h is None: out.append(o); continue
        h = _BAR_STYLE.sub('', _BAR.sub('', src({'source': h})))
        if not re.sub(r'</?div>|\s', '', h): continue
        out.append({**o, 'data': {**o['data'], 'text/html': h}})
    return out

def adapt_code_cell(cell, info=None):
    "A list of cells (empty, one, or a markdown cell) that show what Quarto shows for this code cell."
    opts, body = cell_options(src(cell))
    cell = {**cell, 'outputs': drop_progress_bars(cell.get('outputs', []))} if cell.get('outputs') else cell
    if opts.get('include') == 'false': return []
    if opts.get('output') == 'asis' and (md := _md_output(cell)) is not None:
        if opts.get('echo') != 'false': return [md_cell(f'```python\n{body}\n```\n\n{md}')]
        return [{**md_cell(showdoc_markdown(md, info)), 'metadata': {'ch6_show_doc': True}}]
    cell = {**cell, 'source': body, 'metadata': dict(cell.get('metadata', {}))}
    tags = list(cell['metadata'].get('tags', []))
    if opts.get('echo') == 'false': tags.append('remove-input')
    if opts.get('output') == 'false': tags.append('remove-output')
    if opts.get('code-fold') in ('true', 'show'): tags.append('hide-input')
    if tags: cell['metadata']['tags'] = tags
    if not body.strip() and 'remove-input' not in tags:
        if not cell.get('outputs'): return []
        cell['metadata']['tags'] = tags + ['remove-input']
    return [cell]

# ---------------------------------------------------------------------------------------------
# Whole notebooks

def _headings(text):
    "(start, end, level, text) of each ATX heading of a markdown text, outside code blocks."
    out, in_code, pos = [], None, 0
    for line in text.split('\n'):
        m = _CODE_FENCE.match(line)
        if m:
            if in_code is None: in_code = m.group(1)
            elif line.strip().startswith(in_code): in_code = None
        elif in_code is None and (h := re.match(r'^(#{1,6})\s+(.*?)\s*$', line)):
            out.append((pos, pos + len(line), len(h.group(1)), h.group(2)))
        pos += len(line) + 1
    return out

def anchors_of(texts):
    "The heading anchors of a page whose markdown (cells and show_doc outputs) is `texts`."
    return {slug(re.sub(r'\s*\{[^}]*\}\s*$', '', h[3])) for t in texts for h in _headings(t)}

def renumber_headings(cells):
    """Heading levels without jumps, as Sphinx needs them: a show_doc `###` right under the page's `#` title becomes
    `##` (the section it always was in the page's structure), a `####` under a `##` becomes `###`, and so on."""
    stack = []                                       # (level written, level given)
    for c in cells:
        if c['cell_type'] != 'markdown': continue
        text = src(c); new = []; last = 0
        for start, end, level, title in _headings(text):
            while stack and stack[-1][0] >= level: stack.pop()
            given = stack[-1][1] + 1 if stack else 1
            stack.append((level, given))
            new.append(text[last:start] + '#' * given + ' ' + title); last = end
        if new: c['source'] = ''.join(new) + text[last:]
    return cells

# a title given as one string literal (not `'\\n'.join(...)`, nor an f-string's pieces)
_TITLE = re.compile(r"""(?:set_title|suptitle|title)\s*[(=]\s*f?(['"])(.+?)\1\s*[,)]""")

def _plain(md):
    "Markdown as one line of plain text: links, code marks, emphasis and math markers removed."
    t = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', md)
    t = re.sub(r'\$+[^$]*\$+', '', t)
    t = re.sub(r'`([^`]*)`', r'\1', t)
    t = re.sub(r'\*{1,3}([^*]+)\*{1,3}', r'\1', t)
    t = re.sub(r'(?<!\w)_{1,2}([^_]+)_{1,2}(?!\w)', r'\1', t)
    return re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', '', t)).strip()

def image_alt(cells, i):
    """Alt text for the images output by code cell `i`: the figure's own title in the code (a literal `title=`,
    `set_title`, `suptitle`), else the nearest heading above with the first sentence of the text just before the cell."""
    if (m := _TITLE.search(src(cells[i]))) and '{' not in m.group(2) and (t := _plain(re.sub(r'\\[ntr]', ' ', m.group(2)))):
        return t[:150]
    heading = sentence = ''
    for c in reversed(cells[:i]):
        if c['cell_type'] != 'markdown' or c.get('metadata', {}).get('ch6_show_doc'): continue   # a function's docs say nothing of the figure
        hs = _headings(src(c))
        body = src(c)[hs[-1][1]:] if hs else src(c)
        if not sentence and not heading and (b := _plain(body)):
            sentence = re.split(r'(?<=[.!?:])\s', b)[0].rstrip(':')
        if hs: heading = _plain(hs[-1][3]); break
    alt = f'{heading}: {sentence}' if heading and sentence else heading or sentence or 'figure'
    return alt if len(alt) <= 150 else alt[:147].rsplit(' ', 1)[0] + '…'

# Font sizes a figure's code asks for (matplotlib points), and the resolution it is drawn at (dots per inch).
_FONTSIZE = re.compile(r'\b(?:fontsize|labelsize|titlesize)\s*=\s*(\d+(?:\.\d+)?)\b')
_DPI = re.compile(r'\bdpi\s*=\s*(\d+)\b')
MPL_DPI, MPL_FONT_PT = 100, 10          # matplotlib's defaults, which the inline backend keeps

def _called_sizes(code, helpers):
    "The font sizes (pt) and dpis of `code` and of the helpers ({name: code}) it calls, one level deep."
    parts = [code] + [body for name, body in helpers.items() if re.search(rf'\b{re.escape(name)}\s*\(', code)]
    return ([float(x) for t in parts for x in _FONTSIZE.findall(t)], [float(x) for t in parts for x in _DPI.findall(t)])

def figure_text_px(code, helpers=None):
    """The smallest text of the figure `code` draws, in pixels at the figure's own size: the smallest font size the
    code (or a function it calls, from `helpers`: {name: source}) asks for, else matplotlib's 10 pt, at its dpi."""
    sizes, dpis = _called_sizes(code, helpers or {})
    return round(min(sizes + [MPL_FONT_PT]) * (min(dpis) if dpis else MPL_DPI) / 72, 1)

def function_sources(codes):
    "{function name: its source} for the functions defined at the top level of the Python sources `codes`."
    out = {}
    for code in codes:
        try: tree = ast.parse(code)
        except SyntaxError: continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)): out[node.name] = ast.get_source_segment(code, node) or ''
    return out

def add_image_alts(cells, helpers=None):
    """Give every code cell with an image output its alt text (MyST-NB's cell metadata `mystnb.image.alt`) and the
    class `ch6-text-N`, N the pixel size of its smallest text (figure_text_px), which the site keeps readable."""
    helpers = {**function_sources(src(c) for c in cells if c['cell_type'] == 'code'), **(helpers or {})}
    for i, c in enumerate(cells):
        if c['cell_type'] == 'code' and any(k.startswith('image/') for o in c.get('outputs', []) for k in o.get('data', {})):
            meta = c.setdefault('metadata', {}).setdefault('mystnb', {}).setdefault('image', {})
            meta.setdefault('alt', image_alt(cells, i))
            meta.setdefault('classes', f"ch6-text-{figure_text_px(src(c), helpers):g}")
    return cells

def adapt_notebook(nb, pages, site_url='', info=None, anchors=None, helpers=None, lookup=None):
    """Return (front matter, adapted notebook) for a notebook from `_proc/`. `info(name)` may describe a documented
    object (a class and its bases); `anchors` ({page: anchors}) unlinks nbdev's links to names no page documents;
    `helpers` ({name: source}) are functions the notebook's figures may call, for their font sizes; `lookup`
    (doc_lookup()) links the names it documents."""
    nb = json.loads(json.dumps(nb))
    fm = pop_frontmatter(nb)
    cells = [{**c, 'source': adapt_markdown(src(c), pages, site_url, anchors, lookup)} for c in title_cells(fm)]
    for c in nb.get('cells', []):
        if c['cell_type'] == 'markdown': cells.append({**c, 'source': adapt_markdown(src(c), pages, site_url, anchors, lookup)})
        elif c['cell_type'] == 'code':   # a show_doc (`output: asis`) comes back as markdown, adapted like any other
            cells += [{**o, 'source': adapt_markdown(o['source'], pages, site_url, anchors, lookup)} if o['cell_type'] == 'markdown'
                      else o for o in adapt_code_cell(c, info)]
        # raw cells are for other output formats; Quarto's HTML output leaves them out
    renumber_headings(cells)
    add_image_alts(cells, helpers)
    meta = {k: v for k, v in nb.get('metadata', {}).items() if k not in ('widgets', 'jupytext')}
    nb['metadata'] = {**meta, **KERNEL_META}
    nb['cells'] = cells
    nb['nbformat'], nb['nbformat_minor'] = 4, 5
    for i, c in enumerate(cells):
        c['id'] = f'c{i}'                            # nbformat 4.5 wants ids; nbdev_clean removes them
        if c['cell_type'] == 'markdown':
            for k in ('outputs', 'execution_count'): c.pop(k, None)
    return fm, nb

def sidebar_entries(sidebar):
    """`nbs/sidebar.yml` (parsed) -> [(caption or None, [notebook file names])] in reading order.

    Entries may be file names, `{href: ..., text: ...}` or `{section: ..., contents: [...]}` (as Quarto allows)."""
    groups = [(None, [])]
    def files(items):
        out = []
        for it in items or []:
            if isinstance(it, str): out.append(it)
            elif isinstance(it, dict) and 'href' in it: out.append(it['href'])
            elif isinstance(it, dict) and 'contents' in it: out += files(it['contents'])
        return out
    contents = ((sidebar or {}).get('website', {}).get('sidebar', {}) or {}).get('contents', [])
    if isinstance(contents, str): contents = [contents]
    for it in contents or []:
        if isinstance(it, dict) and 'section' in it: groups.append((it['section'], files(it.get('contents'))))
        else: groups[0][1].extend(files([it]))
    return [g for g in groups if g[1]]
