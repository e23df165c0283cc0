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
    "The page nbdev/Quarto publish notebook `nb_name` as (nbdev's rule): `00_data.ipynb` -> `data`."
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

def rewrite_links(text, pages, site_url):
    """Point links at this site's pages: `{site_url}/data.html#x` and `00_data.ipynb#x` -> `data.ipynb#x`.

    `pages` maps notebook file names (`00_data.ipynb`) to page names (`data`). Sphinx then checks every
    such link: one to a page or a heading that does not exist is a build warning, hence an error.
    Links into the published site whose page is not built here are left as they are."""
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
        return m.group(0) if new is None else f']({new})'
    return re.sub(r'\]\((?P<url>[^)\s]+)\)', md_link, text)

def adapt_markdown(text, pages, site_url):
    "One markdown cell's text, adapted (see the module docstring)."
    text = convert_callouts(text)
    text = rewrite_links(text, pages, site_url)
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

def showdoc_markdown(text):
    "A `show_doc` output as page markdown: without its leading rule (a transition cannot start a section)."
    text = re.sub(r'^\s*---\s*\n', '', text)
    def fence(m):    # a signature that is not valid Python (e.g. a `call_parse` one) is shown as plain text
        code = m.group(1)
        for probe in (code, code.rstrip() + '\n    ...'):
            try: ast.parse(probe); return m.group(0)
            except SyntaxError: pass
        return f'```text\n{code}```'
    text = re.sub(r'^```python\n(.*?)^```', fence, text, flags=re.M | re.S)
    return text   # myst_heading_anchors gives the heading Quarto's id (`get_ctr`, `dataformaterror`)

def adapt_code_cell(cell):
    "A list of cells (empty, one, or a markdown cell) that show what Quarto shows for this code cell."
    opts, body = cell_options(src(cell))
    if opts.get('include') == 'false': return []
    if opts.get('output') == 'asis' and (md := _md_output(cell)) is not None:
        return [md_cell(showdoc_markdown(md) if opts.get('echo') == 'false' else f'```python\n{body}\n```\n\n{md}')]
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

def adapt_notebook(nb, pages, site_url=''):
    "Return (front matter, adapted notebook) for a notebook from `_proc/`."
    nb = json.loads(json.dumps(nb))
    fm = pop_frontmatter(nb)
    cells = title_cells(fm)
    for c in nb.get('cells', []):
        if c['cell_type'] == 'markdown': cells.append({**c, 'source': adapt_markdown(src(c), pages, site_url)})
        elif c['cell_type'] == 'code':   # a show_doc (`output: asis`) comes back as markdown, adapted like any other
            cells += [{**o, 'source': adapt_markdown(o['source'], pages, site_url)} if o['cell_type'] == 'markdown' else o
                      for o in adapt_code_cell(c)]
        # raw cells are for other output formats; Quarto's HTML output leaves them out
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
