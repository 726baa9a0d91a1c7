#!/usr/bin/env bash
# Build the documentation site into build/site/ (open build/site/docs/index.html): docs/*.md
# and the notebooks with their outputs, by Sphinx and myst-nb with warnings as errors (a link to
# a missing page or heading fails the build). The notebooks are not executed here: their outputs
# come from build/notebooks/, where tests/test_notebooks.py writes each notebook it runs; one
# whose copy there is missing or older than the notebook is run first, by that test. See
# docs/site.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

stale=()
for notebook in notebooks/*.ipynb; do
  name=$(basename "$notebook" .ipynb)
  executed=build/notebooks/$name.ipynb
  if [ ! -f "$executed" ] || [ "$executed" -ot "$notebook" ]; then
    stale+=("$name")
  fi
done
if [ ${#stale[@]} -gt 0 ]; then
  selection=$(printf ' or %s' "${stale[@]}")
  echo "docs.sh: running ${#stale[@]} notebook(s) first: ${stale[*]}"
  STRIPJPEG_NO_SKIP=1 "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_notebooks.py \
    -k "test_notebook_runs and (${selection# or })"
fi

# The sources laid out as in the repository, so that relative links work as on GitHub.
rm -rf build/site-src build/site
mkdir -p build/site-src/docs build/site-src/notebooks
cp docs/*.md build/site-src/docs/
for notebook in notebooks/*.ipynb; do
  cp "build/notebooks/$(basename "$notebook")" build/site-src/notebooks/
done
"$PYTHON" -m sphinx -W --keep-going -q -c docs -b html build/site-src build/site
echo "docs.sh: built build/site/docs/index.html"
