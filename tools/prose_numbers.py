"""Figures quoted in a lesson's prose that nothing in the lesson backs.

A *figure* is a number in a markdown cell that reads as a measurement: a decimal (`0.968`, `+0.34`), a number with a
unit of pictures, time or speed (`79 px`, `87%`, `5×`, `30 s`, `20 minutes`). It is *backed* when the same notebook
shows it or pins it: a number in the text output of one of its code cells, or a literal in one of its code cells
(a test such as `test_close(map_ft, 0.78, eps=0.02)`), that gives the figure when rounded to the figure's digits
(`0.78` is backed by `0.7812`; `87%` by `0.8702` or `87.0`). A figure that is neither is *unbacked*: a re-run that moves
the number leaves the sentence wrong and nothing fails. Facts of the formats and tools (file sizes of the real archives,
version numbers, the sizes of published networks) and the learner's own figures, quoted from their notes, are on a short
explicit allow-list, which must shrink when a lesson stops quoting one.

Timings and speed-ups (`30 s`, `20 minutes`, `5×`) are always flagged, printed or not: they measure a machine, not the
method, and belong to the scripts in `bench/` and the maintainers' page, which a lesson points to.

A figure counts as backed wherever in its notebook the number appears, so a stale figure that happens to equal another
output's number slips through; the check catches a sentence whose number no longer appears anywhere, the usual case.

Not figures: numbers inside `inline code` or $math$ (code and arithmetic, not measurements), in links, sizes such as
`640×480`, version numbers such as `2.8.7`, and ranges of a number line such as `[-1, 1]`.

Usage: python tools/prose_numbers.py [NOTEBOOK...]   # default: the lessons nbs/05_*.ipynb to nbs/13_*.ipynb; exit 1 if any
"""
import json, math, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = range(5, 14)

# Facts of the formats, datasets and tools, not measurements of this course: (notebook stem prefix or '*', figure text).
ALLOWED = {
    ('*', '1.6 GB'), ('*', '0.45 GB'),                    # the real archives' sizes (fastai's URLs)
    ('*', '1.3 million'),                                  # ImageNet's training photographs
    ('*', '25 million'), ('08', '11.7 million'), ('08', '25.6 million'),   # ResNet-50's and ResNet-18's parameters (torchvision)
    ('*', '224 pixels'),                                   # the picture size ImageNet's ResNets are trained at
    ('08', '0.13'),                                        # torchvision 0.13, the version that replaced `pretrained=True`
    ('09', '0.352'), ('09', '0.942'), ('10', '0.352'), ('10', '0.942'), ('10', '0.223'),   # the learner's own run, quoted from their notes
    ('10', '1.5'), ('10', '0.93'),                         # real PASCAL VOC 2007: about 1.5 labels of 20 per image, so 0.93 "absent"
    ('11', '0.0001'),                                      # a worked example of reading MSE, not a result
}

_UNIT = r'(?:px|pixels?|%|×(?!\s*\d)|x faster|s\b|sec\b|seconds?|min\b|minutes?|h\b|hours?|GB|MB|million)'
_FIGURE = re.compile(r'(?<![\w.\-/])([+\-−]?)(\d[\d,]*(?:\.\d+)?)(?:\s?(' + _UNIT + r'))?(?![\w.]*\.\d)(?!\w)')
_TIMING = re.compile(r'×|x faster|s|sec|seconds?|min|minutes?|h|hours?')   # a machine's timings: never backed, they do not belong in a lesson
_STRIP = [re.compile(p, re.S) for p in (r'```.*?```', r'`[^`]*`', r'\$\$.*?\$\$', r'\$[^$]*\$', r'\]\([^)]*\)', r'https?://\S+',
                                        r'<[^>]+>')]
_NUMBER = re.compile(r'(?<![\w.])[+\-−]?\d[\d,]*(?:\.\d+)?(?:[eE][+\-]?\d+)?')

def _text(src): return ''.join(src) if isinstance(src, list) else src

def _prose(md):
    "The markdown with code, math, links and tags blanked out."
    for p in _STRIP: md = p.sub(' ', md)
    return md

def figures(md):
    "The figures of one markdown text: (text as written, value, unit) for each, in order."
    out = []
    for m in _FIGURE.finditer(_prose(md)):
        sign, num, unit = m.group(1), m.group(2), m.group(3) or ''
        if not unit and '.' not in num and not sign: continue           # a bare integer: a count, a year, an index
        if sign and not unit and '.' not in num: continue                # "-1", "+1": a step, not a figure
        if re.fullmatch(r'\d{1,3}(,\d{3})+', num) and not unit: continue
        val = float(num.replace(',', ''))
        out.append((m.group(0).strip(), val, unit))
    return out

def _numbers(text):
    out = set()
    for m in _NUMBER.finditer(text):
        try: out.add(abs(float(m.group(0).replace(',', '').replace('−', '-'))))
        except ValueError: pass
    return out

def backing(nb):
    "The numbers a notebook shows in its code cells' text outputs and writes as literals in its code cells."
    nums = set()
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        nums |= _numbers(_text(c['source']))
        for o in c.get('outputs', []):
            if 'text' in o: nums |= _numbers(_text(o['text']))
            for k in ('text/plain', 'text/markdown', 'text/html'):
                if k in o.get('data', {}): nums |= _numbers(_text(o['data'][k]))
    return nums

def _backed(val, text, unit, nums):
    digits = len(re.sub(r'\D.*', '', text.split('.', 1)[1])) if '.' in text else 0
    cands = {val}
    if unit == '%': cands.add(val / 100)
    for n in nums:
        for c in cands:
            d = digits + (2 if c != val else 0)
            if math.isclose(round(n, d), c, abs_tol=10**-(d+3)) or math.isclose(n, c, rel_tol=1e-9): return True
    return False

def unbacked(path):
    "The unbacked figures of one notebook: (cell index, cell id, figure text), in order."
    path = Path(path)
    nb = json.loads(path.read_text(encoding='utf-8'))
    nums, prefix, out = backing(nb), path.name[:2], []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'markdown': continue
        for text, val, unit in figures(_text(c['source'])):
            if (prefix, text) in ALLOWED or ('*', text) in ALLOWED: continue
            if _TIMING.fullmatch(unit) or not _backed(val, re.sub(r'^[+\-−]', '', text), unit, nums): out.append((i, c.get('id'), text))
    return out

def unused_allowed(paths):
    "Entries of `ALLOWED` that no figure of `paths` needs any more: a stale allow-list hides nothing, so it should shrink."
    used = set()
    for p in map(Path, paths):
        nb = json.loads(p.read_text(encoding='utf-8'))
        for c in nb['cells']:
            if c['cell_type'] != 'markdown': continue
            for text, *_ in figures(_text(c['source'])): used |= {(p.name[:2], text), ('*', text)}
    return sorted(ALLOWED - used)

def lessons(root=ROOT):
    return [p for p in sorted((Path(root)/'nbs').glob('[0-9][0-9]_*.ipynb')) if int(p.name[:2]) in LESSONS]

def main(args):
    paths = [Path(a) for a in args] or lessons()
    bad = 0
    for p in paths:
        for i, cid, text in unbacked(p):
            bad += 1; print(f"{p.name}: cell {i} ({cid}): {text!r} is quoted in prose but no output prints it and no test pins it")
    if not args:
        for k in unused_allowed(paths): bad += 1; print(f"ALLOWED lists {k!r}, which no lesson quotes any more: remove it")
    if bad: print(f"{bad} problem(s): print an unbacked figure from the code cell above, pin it with a test under it, or remove it")
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
