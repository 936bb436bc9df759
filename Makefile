# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MO     := platform/translations/nl/LC_MESSAGES/messages.mo
PO     := platform/translations/nl/LC_MESSAGES/messages.po

.PHONY: run test install system-deps messages bench clean-db fuzz

run: install
	$(BIN)/wijknet db upgrade
	$(BIN)/wijknet demo seed
	$(BIN)/wijknet serve --demo-login --worker

# Uses DATABASE_URL when set, else the embedded PostgreSQL in var/pg.
test: install system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite starts Debian's pgbouncer and drives Debian's Chromium. Installed when we may.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "make test needs:$$missing (Debian: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("wijknet needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d platform/translations -l nl >/dev/null

# After changing texts: extract them and update the Dutch catalog, then translate the
# empty msgstr entries in platform/translations/nl/LC_MESSAGES/messages.po.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o platform/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update --omit-header --no-fuzzy-matching --ignore-obsolete -i platform/translations/messages.pot -d platform/translations -l nl

# At least 5,000 generated requests over the whole OpenAPI document (make test runs 300).
fuzz: install
	WIJKNET_FUZZ_EXAMPLES=2500 $(BIN)/pytest -q -s -m fuzz $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

# Stop the embedded PostgreSQL (its data stays in var/pg).
clean-db:
	-$(BIN)/python -c "import pgserver, pathlib; p=pathlib.Path('var/pg'); p.exists() and pgserver.get_server(p, cleanup_mode='stop')"
