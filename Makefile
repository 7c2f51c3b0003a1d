# The verbs of the project. Every target sets itself up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt bench browser i18n clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inbox serve

test: $(STAMP) browser
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check inbox storage web vocabulary tests bench
	$(BIN)/ruff format --check inbox storage web vocabulary tests bench
	$(BIN)/mypy  # files and settings in pyproject.toml

fmt: $(STAMP)
	$(BIN)/ruff format inbox storage web tests bench
	$(BIN)/ruff check --fix inbox storage web tests bench

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.web

# Translations: collect the strings, merge them into the fr/de catalogues, compile the .mo files
# (committed, so an install needs no build step). Translate new entries in the .po files.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o web/locale/messages.pot .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale --no-fuzzy-matching  # the .pot has no locations
	$(BIN)/pybabel compile -d web/locale

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v swaks >/dev/null 2>&1 || { \
	  echo "installing chromium and swaks with apt-get"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium swaks >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
