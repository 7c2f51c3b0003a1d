# The verbs of the project. Every target sets itself up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt bench browser ocr postgresql postfix zapier i18n clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inbox serve

# The storage, pipeline and end-to-end suites also run on PostgreSQL + S3 (a private cluster and
# moto's S3 server, started by the tests themselves); here they must, not skip. Two workers, a
# module to each at a time: most tests wait on real processes and sockets, not on the CPU.
test: $(STAMP) browser ocr postgresql postfix zapier
	INBOX_TEST_REQUIRE_BACKENDS=1 $(BIN)/pytest -n 2 --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check inbox storage web vocabulary tests bench
	$(BIN)/ruff format --check inbox storage web vocabulary tests bench
	$(BIN)/mypy  # files and settings in pyproject.toml

fmt: $(STAMP)
	$(BIN)/ruff format inbox storage web tests bench
	$(BIN)/ruff check --fix inbox storage web tests bench

# bench.pg starts its own PostgreSQL cluster and moto S3 server (tests/backends.py): about 10 min.
bench: $(STAMP) ocr postgresql
	$(BIN)/python -m bench
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.pg
	$(BIN)/python -m bench.ocr
	$(BIN)/python -m bench.hooks

# Translations: collect the strings, merge them into the fr/de catalogues, compile the .mo files
# (committed, so an install needs no build step). Translate new entries in the .po files.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o web/locale/messages.pot .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale --no-wrap --no-fuzzy-matching
	$(BIN)/pybabel compile -d web/locale --use-fuzzy  # only the header is fuzzy: updates run with --no-fuzzy-matching

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v swaks >/dev/null 2>&1 || { \
	  echo "installing chromium and swaks with apt-get"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium swaks >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

# Debian's Tesseract with the French, German and English models, for scans and photos.
ocr:
	@command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -q '^fra$$' \
	  && tesseract --list-langs 2>/dev/null | grep -q '^deu$$' || { \
	  echo "installing tesseract-ocr (fra, deu, eng) with apt-get"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    tesseract-ocr tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-eng >/dev/null) \
	  || echo "warning: could not install tesseract; OCR tests will be skipped"; }

# Debian's PostgreSQL server binaries for the tests' private clusters. No cluster of the system's
# own is created or started: the tests run initdb in a temp dir.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "installing postgresql with apt-get"; \
	  mkdir -p /etc/postgresql-common/createcluster.d; \
	  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/inbox-tests.conf; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "warning: could not install postgresql; the PostgreSQL runs will fail"; }

# Debian's Postfix for the test that puts it in front as the MX. "No configuration": the system's
# own instance gets no main.cf and is not started; the test runs a private one (postfix -c DIR).
postfix:
	@test -x /usr/sbin/postfix || { \
	  echo "installing postfix with apt-get"; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null) \
	  || echo "warning: could not install postfix; the Postfix test will be skipped"; }

# The Zapier app's npm packages (zapier-platform-core, pinned by its lockfile) for its test;
# Debian's Node.js if there is none. Again whenever the lockfile changes.
ZAPIER := integrations/zapier
zapier:
	@test $(ZAPIER)/node_modules/.package-lock.json -nt $(ZAPIER)/package-lock.json || { \
	  command -v npm >/dev/null 2>&1 || { echo "installing nodejs and npm with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }; \
	  echo "installing the Zapier app's npm packages"; \
	  (cd $(ZAPIER) && npm ci --no-audit --no-fund --loglevel=error) \
	  || echo "warning: could not install the Zapier app's npm packages; its test will fail"; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache $(ZAPIER)/node_modules
