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
