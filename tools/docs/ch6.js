/* fastai_ch6 docs: search snippets from the page's text alone (Sphinx's default takes the whole [role=main],
   with the theme's buttons, "System Settings Light Dark", and the TeX source of every formula). */
document.addEventListener('DOMContentLoaded', () => {
  if (typeof Search === 'undefined' || !Search.htmlToText) return;
  const CHROME = ['.headerlink', 'script', 'style', 'button', 'nav', '.bd-header-article', '.header-article-items',
                  '.theme-switch-button', '.prev-next-area', '.bd-footer-article', '.bd-sidebar-secondary',
                  '.ch6-lesson-links', '.ch6-offline-note', '.math', 'mjx-container', '.copybtn'];
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, 'text/html');
    CHROME.forEach(q => doc.querySelectorAll(q).forEach(el => el.remove()));
    const el = (anchor && doc.querySelector(`[role="main"] ${anchor}`)) || doc.querySelector('[role="main"] article')
               || doc.querySelector('[role="main"]');
    return el ? el.textContent.replace(/\s+/g, ' ').trim() : '';
  };
});

/* Opened from file://, the browser refuses the fetch() with which Sphinx's search reads each page for its snippet.
   There the pages' text comes from _static/ch6-pagetext.js (written by ch6_site.py), loaded as a script, which a
   file:// page may do. */
if (location.protocol === 'file:') {
  const root = new URL(document.documentElement.dataset.content_root || './', document.baseURI).href;
  let loaded = null;
  const loadTexts = () => loaded || (loaded = new Promise(done => {
    const s = document.createElement('script');
    s.src = root + '_static/ch6-pagetext.js'; s.onload = s.onerror = done;
    document.head.appendChild(s);
  }));
  const realFetch = window.fetch.bind(window);
  window.fetch = (resource, options) => {
    const u = new URL(typeof resource === 'string' ? resource : resource.url, document.baseURI);
    if (u.protocol !== 'file:' || !u.href.startsWith(root) || !u.pathname.endsWith('.html')) return realFetch(resource, options);
    const page = u.href.slice(root.length).split(/[?#]/)[0];
    return loadTexts().then(() => {
      const text = (window.CH6_PAGE_TEXT || {})[page];
      return text === undefined ? realFetch(resource, options) : new Response(text, {headers: {'Content-Type': 'text/html'}});
    });
  };
}

/* Phones and tablets: the ☰ (site navigation) and contents buttons. The theme (pydata-sphinx-theme, with
   sphinx-book-theme) binds its handlers to the FIRST `.primary-toggle` / `.secondary-toggle` of the page only, which is
   the navbar's, hidden by the book theme; the buttons a reader sees are the article header's, and did nothing. A click
   on one of those that no theme handler took (those stop the event) is passed on to the button the theme listens to:
   on a narrow screen it opens the sidebar's dialog, on a wide one it shows or hides the sidebar. */
document.addEventListener('click', event => {
  const btn = event.target.closest && event.target.closest('.primary-toggle, .secondary-toggle');
  if (!btn) return;
  const kind = btn.classList.contains('primary-toggle') ? '.primary-toggle' : '.secondary-toggle';
  const bound = document.querySelector(kind);
  if (!bound || bound === btn) return;
  event.preventDefault();
  bound.click();
});

/* Figures keep their text readable at every width: a figure shown narrower than its own size shrinks its text with
   it. Each output figure gets the smallest width at which its smallest text (class `ch6-text-N-D`: N.D px at its own size,
   from tools/quarto_to_myst.py; matplotlib's 10 pt at 100 dpi otherwise) is still CH6_MIN_TEXT_PX; a figure wider than
   the column then scrolls sideways inside its output (tools/docs/ch6.css), as a wide table does. */
const CH6_MIN_TEXT_PX = 9, CH6_DEFAULT_TEXT_PX = 10 * 100 / 72;
function ch6FigureWidths() {
  document.querySelectorAll('main article div.cell_output img').forEach(img => {
    const set = () => {
      const own = parseFloat(img.getAttribute('width')) || img.naturalWidth;
      if (!own) return;
      const cls = [...img.classList].find(c => /^ch6-text-[0-9]+(-[0-9]+)?$/.test(c));     // 9.7 px: ch6-text-9-7
      const text = cls ? parseFloat(cls.slice(9).replace('-', '.')) : CH6_DEFAULT_TEXT_PX;
      img.style.minWidth = `${Math.ceil(own * Math.min(1, CH6_MIN_TEXT_PX / text))}px`;
    };
    if (img.complete) set(); else img.addEventListener('load', set, {once: true});
  });
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ch6FigureWidths);
else ch6FigureWidths();
