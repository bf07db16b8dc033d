# NEXT TOHOKU MEETUP — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgresql://127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Python keeps compiled modules (and pytest its rewritten tests) in __pycache__/ even where the
# environment says not to: the suite starts some fifty Python processes, each would compile again.
unexport PYTHONDONTWRITEBYTECODE

# pip-tools for `make lock`, installed into a throw-away venv (never into .venv)
PIP_TOOLS ?= pip-tools==7.6.2
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--build-deps-for editable $(if $(UPGRADE),--upgrade)

# the installer itself, pinned and hashed like the lock (a current pip installs it about a third faster
# than the one a new venv brings); bump by hand with the hashes of its wheel and sdist from `pip hash`
PIP_PIN := pip==26.3 --hash=sha256:f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13 \
	--hash=sha256:6c36ae7da8695be67e3cd9f7d87919667ced53f57ce2ede75d89b5912ed2bc4c

.PHONY: run test test-sqlite test-postgres install install-test lock lint format messages bench clean

# The lock files are what gets installed (exact versions, hashes checked); pyproject.toml keeps the ranges.
# setuptools comes from the lock too, so the project itself installs without fetching anything unpinned.
# $(call install-lock,LOCKFILE,TARGET): the locked packages into .venv, then the project itself with
# --no-index, so a dependency added to pyproject.toml but missing from the lock fails here (run `make lock`)
define install-lock
	$(PYTHON) -m venv $(VENV)
	echo '$(PIP_PIN)' | $(PY) -m pip install --quiet --require-hashes -r /dev/stdin
	$(PY) -m pip install --quiet --require-hashes -r $(1)
	$(PY) -m pip install --quiet --no-index --no-build-isolation -e '$(2)'
	$(PY) -m pip check
endef

$(VENV)/.installed: requirements.txt pyproject.toml
	$(call install-lock,requirements.txt,.)
	touch $@

# the test lock holds the runtime lock's exact versions plus the test extras
$(VENV)/.installed-test: requirements-test.txt pyproject.toml
	$(call install-lock,requirements-test.txt,.[test])
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## serve the demo on http://127.0.0.1:8000 (SQLite under var/, in-process channels and mail worker)
run: install
	$(PY) main.py migrate
	$(PY) main.py seed --if-empty
	$(PY) main.py serve

## the whole suite on SQLite, then again on PostgreSQL + Redis when they answer (under CI=true they must;
## the second pass leaves out the tests that open no database: the first ran them)
test: install-test
	$(MAKE) --no-print-directory test-sqlite
	@status=0; $(PY) -m tests.services "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)" || status=$$?; \
	if [ $$status -eq 0 ]; then \
		$(MAKE) --no-print-directory test-postgres ONLY_DATABASE_TESTS=--only-database-tests; \
	elif [ $$status -eq 1 ]; then \
		echo "PostgreSQL or Redis is not reachable: the suite ran on SQLite only."; \
	else \
		exit $$status; \
	fi

# Parallel workers (pytest-xdist), two by default for a two-core machine (`TEST_WORKERS=0`: one
# process): each has its own SQLite files, PostgreSQL database (<db>_gw0, <db>_gw1, made when
# missing) and Redis db (the given number, then one below it; room channels carry the db number, so
# workers never hear each other's rooms). Tests marked `serial` disturb shared services (they
# restart PostgreSQL or kill a Redis): they always run alone, after the others. Work stealing, not
# xdist's default "load": that hands a worker ever bigger batches, and one worker still had a
# hundred tests queued (the browser walks among them) when the other ran dry, idle for 107 s of a
# 242 s pass; stealing keeps both busy to the end (the pass took 3:34 instead of 4:05).
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist worksteal

test-sqlite: install-test
	@echo "== test suite on SQLite =="
	$(PY) -m pytest $(XDIST) -m "not serial"
	$(PY) -m pytest -m serial

test-postgres: install-test
	@echo "== test suite on PostgreSQL ($(TEST_DATABASE_URL)) + Redis ($(TEST_REDIS_URL)) =="
	MEETUP_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" MEETUP_TEST_REDIS_URL="$(TEST_REDIS_URL)" \
		$(PY) -m pytest $(XDIST) -m "not serial" $(ONLY_DATABASE_TESTS)
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

## re-resolve both lock files from pyproject.toml, keeping current pins; `make lock UPGRADE=1` moves to the newest allowed
lock:
	@set -e; tools=$$(mktemp -d); trap 'rm -rf "$$tools"' EXIT; \
	$(PYTHON) -m venv "$$tools"; \
	"$$tools/bin/pip" install --quiet "$(PIP_TOOLS)"; \
	export CUSTOM_COMPILE_COMMAND="make lock"; \
	"$$tools/bin/pip-compile" $(LOCK_FLAGS) --extra test -o requirements-test.txt pyproject.toml; \
	"$$tools/bin/pip-compile" $(LOCK_FLAGS) -c requirements-test.txt -o requirements.txt pyproject.toml
	@echo "requirements.txt and requirements-test.txt are up to date; commit them with the change that needed them."

bench: install-test
	@for bench in tests/bench/*.py; do [ -f "$$bench" ] && $(PY) "$$bench"; done; true

clean:
	rm -rf $(VENV) var .pytest_cache
