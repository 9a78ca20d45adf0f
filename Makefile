# One command to start the bot, one to test it; both install what they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependencies can have changed.
STAMP := $(VENV)/.installed

.PHONY: venv run test lint format bench webchat e2e-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "safecontact needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	bash deploy/system-packages.sh
	touch $(STAMP)

# Microsoft's Web Chat for the local web chat page, from the npm registry (`npm ci` only
# when the lock file changed). Never built or committed: served from node_modules.
FRONTEND := bot/webchat/frontend
FRONTEND_STAMP := $(FRONTEND)/node_modules/.safecontact-installed

webchat: $(FRONTEND_STAMP)

$(FRONTEND_STAMP): $(FRONTEND)/package-lock.json
	@command -v npm >/dev/null || { echo "make run needs Node.js 18 or newer with npm, to install Microsoft's Web Chat for the local web chat page"; exit 1; }
	npm ci --prefix $(FRONTEND) --no-audit --no-fund --loglevel=error
	touch $@

# Serves on port 3978 with the SQLite database ./safecontact.db; reads ./safecontact.toml
# if there is one (see safecontact.example.toml). Without Slack or Teams credentials it
# serves the local web chat on http://127.0.0.1:3978/, with the demo directory when there
# is no configuration file.
run: venv webchat
	$(BIN)/safecontact serve --port 3978

# The browser test's needs: Debian's chromium (apt-get, once, as root) and npm packages.
e2e-deps:
	bash tests/e2e/setup.sh

test: venv e2e-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Performance figures (about 15 minutes; needs PostgreSQL for its half, as `make test`):
# writes docs/performance.md. `make bench BENCH_ARGS=--quick` for a first look.
bench: venv
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m bench $(BENCH_ARGS)
