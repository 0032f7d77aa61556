# Thin wrappers over standard commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
CENSUS := data/cget-tiers-lieux-2019.csv
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=staticfiles --ignore=media --ignore=screenshots

.PHONY: run setup stop test lint fix check messages system-deps bench soak backup restore clean
# Debian packages the tests need: the browser the Playwright tests drive (never downloaded by
# Playwright) and gettext for the translation checks.
SYSTEM_PACKAGES := chromium gettext $(if $(shell command -v npm),,nodejs npm)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## setup: install, migrate, load the real data (idempotent), make sure a staff account exists
setup: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py import_cget $(CENSUS)
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_reference_data
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_communes
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_staff

## run: everything above, then serve on http://127.0.0.1:8000/
run: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## stop: stop the embedded PostgreSQL, whoever started it (it also stops with the last process)
stop: $(STAMP)
	$(BIN)/python -m tierslieux.embedded_db stop

## soak: a minute of mixed load with PostgreSQL restarted mid-run; writes docs/reliability.md
soak: $(STAMP)
	$(BIN)/python -m bench.soak --write docs/reliability.md

## backup: database (pg_dump) and photos in one timestamped archive under var/backups (BACKUP_DIR)
backup: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG-1} $(BIN)/python manage.py backup

## restore: replace the database and photos with an archive's: make restore FILE=var/backups/….tar
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/tierslieux-….tar"; exit 2; }
	DJANGO_DEBUG=$${DJANGO_DEBUG-1} $(BIN)/python manage.py restore "$(FILE)"

## system-deps: install chromium and gettext from Debian when they are missing
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v msgfmt >/dev/null || ! command -v npm >/dev/null; then \
	  echo "Installing $(SYSTEM_PACKAGES) (Debian packages)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

# Lighthouse for the browser tests (pinned: tests/lighthouse/package-lock.json)
LIGHTHOUSE := tests/lighthouse/node_modules/.installed
$(LIGHTHOUSE): tests/lighthouse/package.json tests/lighthouse/package-lock.json | system-deps
	cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## test: the whole suite, browser tests included (embedded PostgreSQL unless DATABASE_URL is set)
test: $(STAMP) system-deps $(LIGHTHOUSE)
	DJANGO_SECRET_KEY=tests-only-not-a-secret DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## check: lint plus migrations in sync with the models
check: lint
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

## bench: load test at 1,512 and 100,000 places against a floor and a peer; writes docs/performance.md
bench: $(STAMP)
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	DJANGO_DEBUG=1 $(BIN)/python -m bench --sizes 1512,100000 --write docs/performance.md

## messages: refresh the English catalogue from the code, then compile it (commit both files)
messages: $(STAMP) system-deps
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l en --no-obsolete $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var media staticfiles .pytest_cache .ruff_cache
