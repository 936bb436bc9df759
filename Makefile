# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHECKOV_VERSION := 3.3.30
CHECKOV := var/checkov/.installed-$(CHECKOV_VERSION)
MO     := platform/translations/nl/LC_MESSAGES/messages.mo
PO     := platform/translations/nl/LC_MESSAGES/messages.po

.PHONY: run test install system-deps messages bench bench-load bench-peers bench-citus clean-db fuzz gate mutate test-citus tenant-schema

# PORT=8080 make run (or BIND=127.0.0.1:8080) serves elsewhere.
run: install
	$(BIN)/wijknet db upgrade
	$(BIN)/wijknet demo seed
	$(BIN)/wijknet serve --demo-login --worker $(RUN_ARGS)

# Uses DATABASE_URL when set, else the embedded PostgreSQL in var/pg.
test: install system-deps
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite starts Debian's pgbouncer, drives Debian's Chromium and runs a Node.js OpenID
# provider. Installed when we may (root with apt-get), else named.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "make test needs:$$missing (Debian: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

install: $(STAMP) $(MO) $(CHECKOV)

# checkov (infra/terraform's static checks) in a virtualenv of its own: it pins an older
# hcl2 than our other tools accept.
$(CHECKOV): Makefile
	test -x var/checkov/bin/python || $(PYTHON) -m venv var/checkov
	var/checkov/bin/python -m pip install --quiet --upgrade pip
	var/checkov/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $@

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

# After changing a tenant model (and writing its migration): the tenant schema's compiled
# script that provisioning runs (platform/tenancy/schema_script.py; a test says when it is stale).
tenant-schema: install
	$(BIN)/python -m wijknet.platform.tenancy.schema_script

# The residents' gate in full: every page x role x width x language (make test samples it).
gate: install system-deps
	WIJKNET_GATE_FULL=1 $(BIN)/pytest -q tests/residents_gate $(PYTEST_ARGS)

# Load and faults (bench/load.py): locust in a virtualenv of its own, as a separate process.
LOCUST_VERSION := 2.47.0
var/locust/.installed-$(LOCUST_VERSION):
	test -x var/locust/bin/python || $(PYTHON) -m venv var/locust
	var/locust/bin/python -m pip install --quiet "locust==$(LOCUST_VERSION)"
	touch $@

bench-load: install var/locust/.installed-$(LOCUST_VERSION)
	$(BIN)/python bench/load.py

# wijknet beside django-tenants (bench/peers): the peer in a virtualenv of its own; wrk loads.
PEER_VERSIONS := django-tenants==4.0.1 Django==5.2.19 psycopg[binary]==3.3.9 gunicorn==27.0.1
var/peers/.installed-4.0.1:
	test -x var/peers/bin/python || $(PYTHON) -m venv var/peers
	var/peers/bin/python -m pip install --quiet $(PEER_VERSIONS)
	touch $@

bench-peers: install system-deps var/peers/.installed-4.0.1
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "bench-peers needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/python bench/peers/run.py

# Mutation testing of the guard code (hours; works on copies in var/mutate, resumes; JOBS=2 runs two at a time).
mutate: install
	$(BIN)/python tests/mutation/run.py $(if $(JOBS),--jobs $(JOBS)) $(FILES)

# At least 5,000 generated requests over the whole OpenAPI document (make test runs 300).
fuzz: install
	WIJKNET_FUZZ_EXAMPLES=2500 $(BIN)/pytest -q -s -m fuzz $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

# The Citus tier (docs/scale-out.md): a coordinator and two workers on loopback, started from
# this machine's PostgreSQL and its installed citus extension, stopped afterwards.
test-citus: install system-deps
	@$(BIN)/python tests/support/citus_cluster.py available || { echo "test-citus needs the citus extension installed for this machine's PostgreSQL (docs/scale-out.md)"; exit 1; }
	url=$$($(BIN)/python tests/support/citus_cluster.py start) && WIJKNET_CITUS_URL=$$url $(BIN)/pytest -m citus $(PYTEST_ARGS); \
	  rc=$$?; $(BIN)/python tests/support/citus_cluster.py stop; exit $$rc

# Worker connections and cost per tenant transaction on Citus (bench/citus_connections.py).
bench-citus: install
	@$(BIN)/python tests/support/citus_cluster.py available || { echo "bench-citus needs the citus extension (docs/scale-out.md)"; exit 1; }
	url=$$($(BIN)/python tests/support/citus_cluster.py start) && WIJKNET_CITUS_URL=$$url $(BIN)/python bench/citus_connections.py $(BENCH_ARGS); \
	  rc=$$?; $(BIN)/python tests/support/citus_cluster.py stop; exit $$rc

# Stop the embedded PostgreSQL (its data stays in var/pg).
clean-db:
	-$(BIN)/python -c "import pgserver, pathlib; p=pathlib.Path('var/pg'); p.exists() and pgserver.get_server(p, cleanup_mode='stop')"
