# moon: `make run` starts the whole system; `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := moon.settings

.PHONY: run test lint typecheck pytest demo bench drills screens system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

# Debian packages the full suite needs: PostgreSQL, Redis and Chromium (installed when root).
system-deps:
	@missing=""; \
	ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (install them, or run as root)"; exit 1; \
	  fi; \
	fi

run: $(VENV)/.base-installed
	@scripts/run

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy .

test: system-deps $(VENV)/.dev-installed lint typecheck
	APP_ENV=test scripts/with-services sh -c '\
	  $(BIN)/python manage.py makemigrations --check --dry-run && \
	  $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)'

demo: $(VENV)/.base-installed
	@scripts/demo

# Every fault drill, the slow ones (MOON_DRILLS=all) included; `make test` runs the quick ones.
drills: system-deps $(VENV)/.dev-installed
	APP_ENV=test MOON_DRILLS=all scripts/with-services $(BIN)/pytest -m drill tests/drills $(PYTEST_ARGS)

bench: system-deps $(VENV)/.dev-installed
	APP_ENV=test scripts/with-services $(BIN)/python -m scripts.bench $(BENCH_ARGS)

# Each page at 400, 1280 and 1920 px as PNGs in var/screens/, from the width checks' market.
SCREENS ?= $(CURDIR)/var/screens
screens: system-deps $(VENV)/.dev-installed
	APP_ENV=test MOON_SCREENS=$(SCREENS) scripts/with-services $(BIN)/pytest -q tests/browser/test_widths.py -k fits $(PYTEST_ARGS)
	@echo "screens of every page at every width: $(SCREENS)/"; ls $(SCREENS)

clean:
	rm -rf $(VENV) var
