# Tweetups: `make run` for the site with demo data, `make test` for the suite.
# python3 resolves to the version in .python-version (pyenv); override with PYTHON=...

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
PYTEST_ARGS ?=
MIN_PYTHON := 3.12

.PHONY: run test lint lint-code lint-style bench clean distclean

# SQLite and the file-system Celery broker unless DATABASE_URL / REDIS_URL are set. bin/dev
# sets DJANGO_DEBUG=true, the development inbox and a quick sync unless the environment
# already has them; the X URLs point at the emulator by default (tweetups/settings/x_accounts.py).
run: $(VENV)/.runtime-installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo "Starting web, worker (with beat), the X emulator and a mail inbox: open http://127.0.0.1:8000/"
	@echo "Mail the site sends (verification links, RSVP buttons) shows up at http://127.0.0.1:8025/"
	XEMU_DEMO_HASHTAGS="$$($(PY) manage.py shell -v 0 -c 'from events.models import Tweetup; print(",".join(Tweetup.objects.sync_window_open().values_list("hashtag", flat=True)))')" \
		exec $(PY) bin/dev

test: $(VENV)/.dev-installed
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: lint-code lint-style

# CI fails on these: real mistakes (ruff's rule set includes bugbear and bandit).
lint-code: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . bin/dev

# CI only reports these: formatting, and templates (djlint).
lint-style: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format --check . bin/dev
	$(VENV)/bin/djlint --lint templates
	$(VENV)/bin/djlint --check templates

# Each script in bench/ prints its own figures; nothing here asserts a time. Modules whose
# name starts with _ are parts of a script, as common.py, settings.py and urls.py are.
bench: $(VENV)/.dev-installed
	@set -e; found=; for script in bench/*.py; do \
		case "$$script" in */_*.py|*/common.py|*/settings.py|*/urls.py) continue;; esac; \
		[ -e "$$script" ] || continue; found=1; \
		echo "== $$script"; DJANGO_SETTINGS_MODULE=tweetups.settings PYTHONPATH=. $(PY) "$$script"; \
	done; [ -n "$$found" ] || echo "No benchmarks in bench/ yet."

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles tests/artifacts var

# Also the virtualenv and the development database.
distclean: clean
	rm -rf $(VENV) db.sqlite3

$(PY):
	@$(PYTHON) -c 'import sys; v = tuple(map(int, "$(MIN_PYTHON)".split("."))); sys.exit(0 if sys.version_info >= v else "Tweetups needs Python $(MIN_PYTHON) or newer, but $(PYTHON) is " + sys.version.split()[0] + ": install it (pyenv install 3.13) or run make PYTHON=python3.13")'
	$(PYTHON) -m venv $(VENV)

# Stamp files: pip runs again only when a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed
