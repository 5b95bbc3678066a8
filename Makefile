# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export YDATA_PROFILING_NO_ANALYTICS := 1
export RAY_USAGE_STATS_ENABLED := 0
ADDRESS ?= 127.0.0.1
PORT    ?= 8501

.PHONY: run test eval bench system-deps clean

$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

# System packages: Debian's Chromium drives the one real-browser test (never `playwright install`).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: the browser test will be skipped"; fi; }

run: $(STAMP)
	$(PY) -m ui.serve --server.address $(ADDRESS) --server.port $(PORT)

test: $(STAMP) system-deps
	$(PY) -m pytest

# Corpus tier: real public datasets from ../shared/data (not part of `make test`).
eval: $(STAMP)
	$(PY) -m pytest -m corpus -p no:cacheprovider

bench: $(STAMP)
	for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .sieve-cache
