# NEXT TOHOKU MEETUP — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgresql://127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-sqlite test-postgres install install-test lint format messages bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## serve the demo on http://127.0.0.1:8000 (SQLite under var/, in-process channels and mail worker)
run: install
	$(PY) main.py migrate
	$(PY) main.py seed --if-empty
	$(PY) main.py serve

## the whole suite on SQLite, then again on PostgreSQL + Redis when they answer (the second pass
## leaves out the tests that open no database: the first ran them)
test: install-test
	$(MAKE) --no-print-directory test-sqlite
	@if $(PY) -m tests.services "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
		$(MAKE) --no-print-directory test-postgres ONLY_DATABASE_TESTS=--only-database-tests; \
	else \
		echo "PostgreSQL or Redis is not reachable: the suite ran on SQLite only."; \
	fi

# Parallel workers (pytest-xdist), e.g. `make test TEST_WORKERS=2` on a quiet two-core machine:
# each has its own SQLite files, PostgreSQL database (<db>_gw0, <db>_gw1, made when missing) and
# Redis db (the given number, then one below it). Off by default: on a machine busy with other
# work, two workers were slower than one. Tests marked `serial` disturb shared services (they
# restart PostgreSQL or kill a Redis): they always run alone, after the others.
TEST_WORKERS ?= 0

test-sqlite: install-test
	@echo "== test suite on SQLite =="
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not serial"
	$(PY) -m pytest -m serial

test-postgres: install-test
	@echo "== test suite on PostgreSQL ($(TEST_DATABASE_URL)) + Redis ($(TEST_REDIS_URL)) =="
	MEETUP_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" MEETUP_TEST_REDIS_URL="$(TEST_REDIS_URL)" \
		$(PY) -m pytest -n $(TEST_WORKERS) -m "not serial" $(ONLY_DATABASE_TESTS)
	MEETUP_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" MEETUP_TEST_REDIS_URL="$(TEST_REDIS_URL)" \
		$(PY) -m pytest -m serial $(ONLY_DATABASE_TESTS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## re-extract translatable text and merge it into meetup/locale/{ja,en}
messages: install-test
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
		--project "NEXT TOHOKU MEETUP" -o meetup/locale/messages.pot .
	$(VENV)/bin/pybabel update -i meetup/locale/messages.pot -d meetup/locale --no-fuzzy-matching --ignore-obsolete

bench: install-test
	@for bench in tests/bench/*.py; do [ -f "$$bench" ] && $(PY) "$$bench"; done; true

clean:
	rm -rf $(VENV) var .pytest_cache
