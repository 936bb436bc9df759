# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MO     := platform/translations/nl/LC_MESSAGES/messages.mo
PO     := platform/translations/nl/LC_MESSAGES/messages.po

.PHONY: run test install bench clean-db

run: install
	$(BIN)/wijknet db upgrade
	$(BIN)/wijknet demo seed
	$(BIN)/wijknet serve

# Uses DATABASE_URL when set, else the embedded PostgreSQL in var/pg.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("wijknet needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d platform/translations -l nl >/dev/null

bench: install
	$(BIN)/python bench/run_all.py

# Stop the embedded PostgreSQL (its data stays in var/pg).
clean-db:
	-$(BIN)/python -c "import pgserver, pathlib; p=pathlib.Path('var/pg'); p.exists() and pgserver.get_server(p, cleanup_mode='stop')"
