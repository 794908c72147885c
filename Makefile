# One command each on a fresh clone: the virtualenv is created and the project installed on demand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo run test check lint bench clean i18n

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)  ## Chat with the bot offline, on seeded SQLite
	$(VENV)/bin/jangmadang demo

run: $(STAMP)  ## Run against Telegram (needs TELEGRAM_BOT_TOKEN)
	$(VENV)/bin/jangmadang run

test: $(STAMP)  ## The whole suite, two workers (PostgreSQL too when TEST_DATABASE_URL is set)
	$(PY) -m pytest -n 2

check: $(STAMP)  ## ruff, ruff format --check, mypy --strict, import contracts and cycles
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_architecture.py

lint: check

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

i18n: $(STAMP)  ## Re-extract messages, update the catalogues, compile them
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k InvalidInput -k NotFound -k DomainError --no-location --sort-output -o bot/i18n/locales/messages.pot .
	$(VENV)/bin/pybabel update -i bot/i18n/locales/messages.pot -d bot/i18n/locales -D messages --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d bot/i18n/locales -D messages --statistics
