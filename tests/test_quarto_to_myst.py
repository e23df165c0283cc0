"The Quarto -> MyST adapter of the docs build (tools/quarto_to_myst.py): each Quarto construct nbdev leaves in `_proc`."
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from quarto_to_myst import (adapt_code_cell, adapt_markdown, adapt_notebook, anchors_of, cell_options, convert_callouts,
                            convert_heading_ids, convert_link_attrs, page_name, parse_attrs, parse_signature,
                            pop_frontmatter, renumber_headings, rewrite_links, showdoc_markdown, sidebar_entries,
                            add_image_alts, fastai_doc_url, drop_progress_bars)

SITE = 'https://fastai-ch6.github.io/fastai_ch6'
PAGES = {'index.ipynb': 'index', '05_data.ipynb': 'data', '06_datablock.ipynb': 'datablock'}

def code(source, outputs=()): return {'cell_type': 'code', 'metadata': {}, 'source': source, 'outputs': list(outputs), 'execution_count': 1}
def md_out(text): return {'output_type': 'execute_result', 'data': {'text/markdown': text, 'text/plain': '<x>'}, 'metadata': {}}

# --- front matter ---------------------------------------------------------------------------------

def test_frontmatter_becomes_title_description_and_page_name():
    nb = {'cells': [{'cell_type': 'raw', 'metadata': {}, 'source': '---\ndescription: Two datasets.\noutput-file: data.html\ntitle: The datasets\n\n---\n\n'},
                    {'cell_type': 'markdown', 'metadata': {}, 'source': 'Text.'}], 'metadata': {'widgets': {}}}
    fm, out = adapt_notebook(nb, PAGES, SITE)
    assert fm == {'description': 'Two datasets.', 'output-file': 'data.html', 'title': 'The datasets'}
    assert out['cells'][0]['source'].startswith('# The datasets\n')
    assert ':::{container} description\nTwo datasets.\n:::' in out['cells'][0]['source']
    assert [c['source'] for c in out['cells'][1:]] == ['Text.']
    assert 'widgets' not in out['metadata'] and out['metadata']['kernelspec']['language'] == 'python'
    assert len({c['id'] for c in out['cells']}) == len(out['cells'])          # nbformat 4.5 ids
    assert nb['cells'][0]['cell_type'] == 'raw'                               # the input is left alone

def test_no_frontmatter():
    nb = {'cells': [{'cell_type': 'markdown', 'metadata': {}, 'source': '---\n\nnot front matter'}]}
    assert pop_frontmatter(nb) == {} and len(nb['cells']) == 1

def test_page_name_follows_nbdev():
    assert page_name('05_data.ipynb') == 'data' and page_name('05_Regression.ipynb') == 'regression'
    assert page_name('index.ipynb') == 'index' and page_name('01a_extra_bits.ipynb') == 'extra_bits'

# --- callouts and divs ----------------------------------------------------------------------------

def test_callout_types():
    for kind in ['note', 'tip', 'warning', 'caution', 'important']:
        assert convert_callouts(f'::: {{.callout-{kind}}}\nBody.\n:::') == f':::{{{kind}}}\nBody.\n:::'

def test_callout_title_from_attribute_or_first_heading():
    assert convert_callouts('::: {.callout-tip title="Why 64?"}\nBody.\n:::') == \
        ':::{admonition} Why 64?\n:class: tip\n\nBody.\n:::'
    assert convert_callouts(':::{.callout-warning}\n## Slow on a CPU\nBody.\n:::') == \
        ':::{admonition} Slow on a CPU\n:class: warning\n\nBody.\n:::'

def test_nested_callouts_get_longer_outer_fences():
    out = convert_callouts('::: {.callout-note}\nOuter.\n\n::: {.callout-tip}\nInner.\n:::\n:::')
    assert out == '::::{note}\nOuter.\n\n:::{tip}\nInner.\n:::\n::::'

def test_layout_divs_keep_their_content_and_text_around_is_untouched():
    assert convert_callouts('Before.\n\n::: {.column-margin}\nA margin note.\n:::\n\nAfter.') == 'Before.\n\nA margin note.\n\nAfter.'

def test_colons_inside_code_blocks_are_not_divs():
    text = '```python\n::: {.callout-note}\n```\nPlain.'
    assert convert_callouts(text) == text

def test_parse_attrs():
    assert parse_attrs('#sec-a .callout-tip title="A b" collapse=true') == ('sec-a', ['callout-tip'], {'title': 'A b', 'collapse': 'true'})

# --- links ----------------------------------------------------------------------------------------

def test_target_blank_link_becomes_html_with_its_attributes():
    out = convert_link_attrs('See [source](https://github.com/x/y.py#L3){target="_blank" style="float:right"} now.')
    assert out == 'See <a href="https://github.com/x/y.py#L3" target="_blank" style="float:right" rel="noopener">source</a> now.'

def test_attributes_on_local_links_and_images_are_dropped():
    assert convert_link_attrs('[next](data.ipynb){target="_blank"}') == '[next](data.ipynb)'
    assert convert_link_attrs('![a plot](images/p.png){width=300}') == '![a plot](images/p.png)'

def test_links_to_published_pages_and_notebooks_point_into_this_site():
    assert rewrite_links(f'[`pascal_2007`]({SITE}/data.html#pascal_2007)', PAGES, SITE) == '[`pascal_2007`](data.ipynb#pascal_2007)'
    assert rewrite_links('[lesson 6](06_datablock.ipynb)', PAGES, SITE) == '[lesson 6](datablock.ipynb)'
    assert rewrite_links('[x](05_data.ipynb#choosing-the-source)', PAGES, SITE) == '[x](data.ipynb#choosing-the-source)'
    for keep in ['[fastai](https://docs.fast.ai/data.block.html#DataBlock)', f'[gone]({SITE}/other.html)', '[top](#top)']:
        assert rewrite_links(keep, PAGES, SITE) == keep

def test_heading_ids():
    assert convert_heading_ids('## Thresholds {#sec-thr}\nText') == '(sec-thr)=\n## Thresholds\nText'
    assert convert_heading_ids('## Appendix {.unnumbered}') == '## Appendix'

def test_adapt_markdown_combines_them():
    out = adapt_markdown(f'::: {{.callout-note}}\nSee [`get_ctr`]({SITE}/data.html#get_ctr){{target="_blank"}}.\n:::', PAGES, SITE)
    assert out == ':::{note}\nSee [`get_ctr`](data.ipynb#get_ctr).\n:::'

# --- code cells -----------------------------------------------------------------------------------

def test_cell_options_are_read_and_removed():
    assert cell_options('#| echo: false\n#|output: asis\nshow_doc(f)') == ({'echo': 'false', 'output': 'asis'}, 'show_doc(f)')

def test_echo_false_hides_the_code_keeps_the_output():
    [c] = adapt_code_cell(code('#| echo: false\nplot()', [{'output_type': 'display_data', 'data': {'image/png': 'AA=='}, 'metadata': {}}]))
    assert c['source'] == 'plot()' and c['metadata']['tags'] == ['remove-input'] and c['outputs']

def test_include_false_drops_the_cell():
    assert adapt_code_cell(code('#| include: false\nsetup()', [md_out('x')])) == []

def test_output_false_and_code_fold():
    assert adapt_code_cell(code('#| output: false\nx'))[0]['metadata']['tags'] == ['remove-output']
    assert adapt_code_cell(code('#| code-fold: true\nx'))[0]['metadata']['tags'] == ['hide-input']

def test_plain_code_cell_is_unchanged_and_empty_one_dropped():
    c = code('x = 1\nx')
    assert adapt_code_cell(c) == [c]
    assert adapt_code_cell(code('#| eval: false\n')) == []

def test_show_doc_output_becomes_page_markdown():
    doc = '---\n\n[source](https://github.com/a/b.py#L1){target="_blank"}\n\n### get_ctr\n\n```python\ndef get_ctr(\n    f, # a file\n):\n```\n\n*Centre.*'
    [c] = adapt_code_cell(code('#| echo: false\n#| output: asis\nshow_doc(get_ctr)', [md_out(doc)]))
    assert c['cell_type'] == 'markdown' and c['source'].startswith('### get_ctr\n\n[source]')     # the link inside its section

def test_call_parse_signature_gets_its_help_in_the_table():
    out = showdoc_markdown('```python\ndef ch6_data(\n    source:str <a help, with a comma>=None, seed:int <random seed>=42\n):\n```\n')
    assert out.startswith('```python\ndef ch6_data(source:str=None, seed:int=42)\n```')
    assert '| `source` | `str` | `None` | a help, with a comma |' in out and '| `seed` | `int` | `42` | random seed |' in out

def test_code_that_is_not_a_signature_is_kept_or_plain_text():
    ok = '```python\nx = f(1)\n```\n'
    assert showdoc_markdown(ok) == ok
    assert showdoc_markdown('```python\nnot python (\n```\n').startswith('```text\n')

def test_signature_becomes_one_wrapped_line_and_a_table_after_the_docstring():
    doc = ('### f\n\n```python\ndef f(\n    a:int | None=None, # the [`g`](data.ipynb#g) of it\n    b:str=\'x, y\', c=1, # both\n'
           '    *args, **kwargs\n)->dict: # what comes back\n```\n\n*The doc.*')
    out = showdoc_markdown(doc)
    assert out.startswith("### f\n\n```python\ndef f(a:int | None=None, b:str='x, y', c=1, *args, **kwargs) -> dict\n```")
    assert out.index('*The doc.*') < out.index('| | Type | Default | Details |')
    assert '| `a` | `int \\| None` | `None` | the [`g`](data.ipynb#g) of it |' in out       # no link left inside code
    assert "| `b` | `str` | `'x, y'` | both |" in out and '| `c` |  | `1` | both |' in out
    assert '| **Returns** | `dict` | | what comes back |' in out
    assert '](' not in out.split('```')[1]                                                  # the code block has no markdown

def test_parse_signature():
    sig = parse_signature('def f(\n    a, # x\n    b:int=2\n):\n')
    assert sig == {'name': 'f', 'ret': '', 'ret_doc': '', 'params': [{'name': 'a', 'type': '', 'default': None, 'doc': 'x'},
                                                                      {'name': 'b', 'type': 'int', 'default': '2', 'doc': ''}]}
    assert parse_signature('x = 1\n') is None

def test_exception_shows_its_base_class_and_callback_events_collapse():
    exc = '### DataFormatError\n\n```python\ndef DataFormatError(\n    *args, **kwargs\n):\n```\n\n*Bad file.*'
    out = showdoc_markdown(exc, lambda n: {'kind': 'class', 'bases': ['ValueError']})
    assert '```python\nclass DataFormatError(ValueError):\n```' in out and '*args' not in out
    events = ', '.join(f'{e}:NoneType=None' for e in ['after_create', 'before_fit', 'before_epoch', 'after_batch', 'after_fit'])
    cb = f'### CountBatches\n\n```python\ndef CountBatches(\n    {events}\n):\n```\n'
    assert 'class CountBatches(Callback):\n```' in showdoc_markdown(cb, lambda n: {'kind': 'class', 'bases': ['Callback']})
    assert 'def CountBatches(after_create:NoneType=None, ..., after_fit:NoneType=None)' in showdoc_markdown(cb)

def test_headings_renumbered_without_jumps():
    cells = [{'cell_type': 'markdown', 'source': '# Title'}, {'cell_type': 'markdown', 'source': '### f\n\n```\n### not a heading\n```'},
             {'cell_type': 'markdown', 'source': '## Part\n\n### g\n\n##### h'}]
    assert [c['source'] for c in renumber_headings(cells)] == ['# Title', '## f\n\n```\n### not a heading\n```', '## Part\n\n### g\n\n#### h']

def test_links_to_names_no_page_documents_become_plain_names():
    anchors = {'data': anchors_of(['### get_ctr', '## The real datasets {#sec-real}'])}
    assert anchors['data'] == {'get_ctr', 'the-real-datasets'}
    text = f'[`get_ctr`]({SITE}/data.html#get_ctr) and [`_fname_problem`]({SITE}/data.html#_fname_problem) and [a section](05_data.ipynb#nowhere)'
    assert rewrite_links(text, PAGES, SITE, anchors) == \
        '[`get_ctr`](data.ipynb#get_ctr) and `_fname_problem` and [a section](data.ipynb#nowhere)'   # prose links stay, for Sphinx to check

def test_names_said_to_be_fastais_or_pytorchs_do_not_link_to_the_course():
    pages = {**PAGES, '09_multilabel.ipynb': 'multilabel'}
    link = f'[`accuracy_multi`]({SITE}/multilabel.html#accuracy_multi)'
    assert rewrite_links(f"the course's {link}", pages, SITE) == "the course's [`accuracy_multi`](multilabel.ipynb#accuracy_multi)"
    assert rewrite_links(f"fastai's {link}", pages, SITE) == "fastai's [`accuracy_multi`](https://docs.fast.ai/metrics.html#accuracy_multi)"
    assert rewrite_links(f"fastai’s {link}", pages, SITE).startswith("fastai’s [`accuracy_multi`](https://docs.fast.ai/")
    assert rewrite_links(f"PyTorch's [`where`]({SITE}/data.html#where)", pages, SITE) == "PyTorch's `where`"
    assert rewrite_links(f"fastai's [`learn.export`]({SITE}/data.html#x)", pages, SITE) == "fastai's `learn.export`"   # not in fastai's index
    assert fastai_doc_url('Learner.fine_tune').startswith('https://docs.fast.ai/callback.schedule.html#')

def _img_out(): return {'output_type': 'display_data', 'data': {'image/png': 'iVBORw0KGgo=', 'text/plain': '<Figure>'}, 'metadata': {}}
def _md(t): return {'cell_type': 'markdown', 'metadata': {}, 'source': t}

def test_images_get_alt_text_from_their_title_or_the_text_above():
    cells = [_md('## PASCAL VOC 2007'), _md('### The stand-in images\n\nSome text.'),
             _md('A few stand-in images with their `labels`: more text.'),
             {**_md('### read_labels_csv\n\n```python\ndef read_labels_csv(fname)\n```'), 'metadata': {'ch6_show_doc': True}},
             code("ax.set_title(f'{p}/{f.name}')", [_img_out()]),
             code("counts.plot.barh(title='images per class (400-row stand-in)')", [_img_out()]),
             _md('## Only a heading'), code('show(y)', [_img_out()]), code('print(1)')]
    add_image_alts(cells)
    alt = lambda c: c['metadata'].get('mystnb', {}).get('image', {}).get('alt')
    assert alt(cells[4]) == 'The stand-in images: A few stand-in images with their labels'   # not the show_doc, not the f-string
    assert alt(cells[5]) == 'images per class (400-row stand-in)'
    assert alt(cells[7]) == 'Only a heading' and alt(cells[8]) is None
    assert add_image_alts([_md('Where `get_ctr` puts *the* frame_00003_rgb.jpg centre.'), code('x', [_img_out()])])[1][
        'metadata']['mystnb']['image']['alt'] == 'Where get_ctr puts the frame_00003_rgb.jpg centre.'   # names keep their underscores

def _html(h): return {'output_type': 'display_data', 'data': {'text/html': h, 'text/plain': '<IPython.core.display.HTML object>'}, 'metadata': {}}

def test_progress_bars_are_dropped_and_metrics_tables_kept():
    style = _html('\n<style>\n    progress { appearance: none; }\n    table.fastprogress { border-collapse: collapse; }\n</style>\n')
    table = '<div><table class="fastprogress"><tr><td>0</td><td>0.88</td></tr></table></div>'
    run = _html(f'<div><div><progress max="4" value="1"></progress> 25.00% [1/4 00:00&lt;00:00]</div>{table}'
                '<div><progress max="4" value="4"></progress> 100.00% [4/4 00:00&lt;00:00... 0.8787]</div></div>')
    bar = _html('<div><progress max="40" value="40"></progress> 100.00% [40/40 00:01&lt;00:00]</div>')
    plot = {'output_type': 'display_data', 'data': {'image/png': 'iVBOR'}, 'metadata': {}}
    out = drop_progress_bars([style, run, bar, _html('<table class="dataframe"></table>'), plot])
    assert [o['data'].get('text/html', 'png') for o in out] == [f'<div>{table}</div>', '<table class="dataframe"></table>', 'png']
    [c] = adapt_code_cell(code('learn.fit(1)', [bar, _html(table)]))
    assert [o['data']['text/html'] for o in c['outputs']] == [table]

def test_whole_notebook_with_show_doc_links():
    nb = {'cells': [code('#| echo: false\n#| output: asis\nshow_doc(f)',
                         [md_out(f'### f\n\nUses [`g`]({SITE}/data.html#g) and [source](https://x.y/z){{target="_blank"}}.')])]}
    _, out = adapt_notebook(nb, PAGES, SITE)
    assert out['cells'][0]['source'] == '# f\n\nUses [`g`](data.ipynb#g) and <a href="https://x.y/z" target="_blank" rel="noopener">source</a>.'

# --- sidebar ----------------------------------------------------------------------------------------

def test_sidebar_entries_in_order_with_sections():
    sb = {'website': {'sidebar': {'contents': ['index.ipynb', '05_data.ipynb',
          {'section': 'Multi-label', 'contents': ['06_datablock.ipynb', {'href': '02_loss.ipynb', 'text': 'Loss'}]}]}}}
    assert sidebar_entries(sb) == [(None, ['index.ipynb', '05_data.ipynb']), ('Multi-label', ['06_datablock.ipynb', '02_loss.ipynb'])]
    assert sidebar_entries({}) == []

def test_the_projects_own_sidebar_is_read():
    import yaml
    groups = sidebar_entries(yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text()))
    names = [n for _, ns in groups for n in ns]
    assert names[0] == 'index.ipynb' and all((ROOT/'nbs'/n).exists() for n in names)

def test_link_names_links_what_nbdevs_lookup_knows_in_prose_only():
    from quarto_to_myst import link_names, doc_lookup
    L = doc_lookup()
    text = ("Use `DataBlock`, `nn.BCEWithLogitsLoss` and `torch.where()`, not `learn.validate()`; [`get_ctr`](data.ipynb#get_ctr).\n"
            "## `DataBlock`\n```python\n`DataBlock`\n```")
    out = link_names(text, L)
    assert '[`DataBlock`](https://docs.fast.ai/data.block.html#datablock)' in out
    assert '[`nn.BCEWithLogitsLoss`](https://pytorch.org/' in out and '[`torch.where()`](https://pytorch.org/' in out
    assert '`learn.validate()`;' in out and '[`get_ctr`](data.ipynb#get_ctr)' in out and '[[' not in out
    assert out.endswith("## `DataBlock`\n```python\n`DataBlock`\n```")          # headings and code stay as they are

def test_link_lessons_links_every_lesson_mention():
    from quarto_to_myst import link_lessons
    pages = {'09_multilabel.ipynb': 'multilabel', '11_regression.ipynb': 'regression', '16_train.ipynb': 'train'}
    out = link_lessons("See lesson 16, lessons 09 and 11, [lesson 11](11_regression.ipynb), `lesson 9` and lesson 42.\n## Lesson 9", pages)
    assert out == ("See [lesson 16](16_train.ipynb), [lessons 09](09_multilabel.ipynb) and [11](11_regression.ipynb), "
                   "[lesson 11](11_regression.ipynb), `lesson 9` and lesson 42.\n## Lesson 9")
