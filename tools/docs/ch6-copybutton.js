/* A copy button on every code block, used only where sphinx-copybutton is not installed (same class, same place). */
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('div:not(.output) > div.highlight pre').forEach(pre => {
    const box = pre.parentElement;
    if (box.querySelector('button.copybtn')) return;
    const b = document.createElement('button');
    b.className = 'copybtn o-tooltip--left'; b.type = 'button'; b.title = 'Copy'; b.setAttribute('aria-label', 'Copy');
    b.textContent = 'Copy';
    b.addEventListener('click', () => {
      const text = pre.innerText.replace(/\n$/, '');
      (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject()).then(
        () => { b.textContent = 'Copied'; setTimeout(() => b.textContent = 'Copy', 1500); }, () => {});
    });
    box.style.position = 'relative'; box.appendChild(b);
  });
});
