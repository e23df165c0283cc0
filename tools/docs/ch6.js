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
