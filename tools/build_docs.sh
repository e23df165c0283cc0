#!/usr/bin/env bash
# Build the documentation site into _docs/ from the notebooks in nbs/, without Quarto:
# nbdev's own processing -> tools/quarto_to_myst.py -> Sphinx (myst-nb, sphinx-book-theme).
# Needs the dev extra (`pip install -c constraints.txt -e ".[dev]"`) and npm, once, for MathJax.
# A warning anywhere in the build is an error. See tools/build_docs.py for the steps.
set -euo pipefail
cd "$(dirname "$0")/.."

# MathJax 3 from the npm registry, once, into build/npm (gitignored); the site serves it itself.
MATHJAX_VERSION=3.2.2
if [ ! -f build/npm/node_modules/mathjax/es5/tex-chtml.js ] || \
   ! grep -q "\"version\": \"$MATHJAX_VERSION\"" build/npm/node_modules/mathjax/package.json; then
  command -v npm >/dev/null || { echo "build_docs: npm is needed once to fetch MathJax $MATHJAX_VERSION" >&2; exit 1; }
  mkdir -p build/npm
  npm install --prefix build/npm --no-save --no-audit --no-fund --loglevel=error "mathjax@$MATHJAX_VERSION" >/dev/null
fi

exec python tools/build_docs.py "$@"
