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

## the whole suite on SQLite, then again on PostgreSQL + Redis when they answer (under CI=true they must)
test: install-test
	$(MAKE) --no-print-directory test-sqlite
	@status=0; $(PY) -m tests.services "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)" || status=$$?; \
	if [ $$status -eq 0 ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ $$status -eq 1 ]; then \
		echo "PostgreSQL or Redis is not reachable: the suite ran on SQLite only."; \
	else \
		exit $$status; \
	fi

test-sqlite: install-test
	@echo "== test suite on SQLite =="
	$(PY) -m pytest

test-postgres: install-test
	@echo "== test suite on PostgreSQL ($(TEST_DATABASE_URL)) + Redis ($(TEST_REDIS_URL)) =="
	MEETUP_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" MEETUP_TEST_REDIS_URL="$(TEST_REDIS_URL)" $(PY) -m pytest

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
