# Pathscore — the two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
WORKERS ?= 2

.PHONY: demo test install install-dev system-deps lint format check-deploy messages vendor clean serve load bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The app and its pinned dependencies (constraints.txt holds the versions CI tested).
# Stamp files make a second run instant; they are redone when the pins change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/activate
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

# The bench extra too: the suite's quick run (tests/benchmarks/) needs DuckDB.
$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/activate
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Create .venv, install, migrate, load the demo company and serve it on http://$(HOST):$(PORT)
demo: install
	$(BIN)/pathscore demo --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/pathscore serve --host $(HOST) --port $(PORT)

# Debian's Chromium (browser tests), CJK fonts (Chinese in screenshots) and gettext
# (the translation completeness test). Installed only when missing, never from pytest.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = "0" ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## Install what the tests need and run the whole suite, browser tests included
test: install-dev system-deps
	$(BIN)/pytest -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

## Load test: salespeople record follow-ups while managers read dashboards (gunicorn on loopback).
## USERS, SPAWN_RATE and DURATION override 20, 5 and 60s; fails if any request failed.
load: install
	@test -x $(BIN)/locust || $(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"
	benchmarks/load/run.sh

## Benchmarks: every row of the Performance table on a generated company (docs/benchmarks.md).
## SCALE=S|M|L and DB=sqlite|postgres (default S on sqlite); the company is generated once.
SCALE ?= S
DB ?= sqlite
bench: install
	@$(PY) -c "import duckdb, locust" 2>/dev/null || $(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"
	SCALE=$(SCALE) DB=$(DB) benchmarks/bench.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	PATHSCORE_ENV=production PATHSCORE_SECRET_KEY=$$($(PY) -c "import secrets;print(secrets.token_urlsafe(50))") \
	PATHSCORE_ALLOWED_HOSTS=pathscore.example.com PATHSCORE_DATA_DIR=$$(mktemp -d) \
	$(BIN)/pathscore manage check --deploy --fail-level WARNING

# Refresh the translation catalogues after changing user-facing strings.
messages: install-dev system-deps
	cd pathscore && ../$(PY) -m django makemessages -l zh_Hans -l en --no-obsolete --no-location --ignore "static/vendor/*"
	cd pathscore && ../$(PY) -m django compilemessages

vendor:
	scripts/vendor_assets.sh

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
