# ftgate — the index of what a developer can run. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FTGATE := $(VENV)/bin/ftgate
STAMP := $(VENV)/.installed

.PHONY: run test test-service test-clients test-deploy lint typecheck proto bench soak docs clean help

help:
	@echo "make run        set up .venv and run the service (127.0.0.1:50051, metrics 127.0.0.1:9464)"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make lint       ruff + buf lint;  make typecheck  mypy strict"
	@echo "make proto      regenerate all code generated from proto/ (server, Python and TypeScript clients)"
	@echo "make test-service | test-clients | test-deploy   one part of make test"
	@echo "make bench      benchmarks (never part of make test);  make soak  the 200,000-call soak"
	@echo "make docs       regenerate README's rules table and examples/*.out.txt from rules/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(FTGATE) serve

# The README's test command. Each part can run alone.
test: test-service test-clients test-deploy

test-service: $(STAMP)
	$(PY) -m pytest -q tests

# Client SDKs (clients/python, clients/typescript) against a live server.
test-clients: $(STAMP)
	FTGATE_BIN=$(abspath $(FTGATE)) PYTHON=$(PYTHON) clients/python/scripts/test.sh
	cd clients/typescript && npm ci --no-audit --no-fund && npm test
	$(VENV)/bin/buf breaking proto --against clients/baseline/ftgate-v1.binpb

# deploy/: manifests, alert rules, Prometheus end to end.
test-deploy: $(STAMP)
	@cmp -s deploy/requirements.txt $(VENV)/.deploy-requirements || { \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r deploy/requirements.txt && \
	  cp deploy/requirements.txt $(VENV)/.deploy-requirements; }
	@deploy/scripts/ensure-prometheus.sh
	$(PY) -m pytest -q deploy/tests

lint: $(STAMP)
	$(VENV)/bin/ruff check service tests scripts bench
	cd proto && ../$(VENV)/bin/buf lint

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Regenerates every piece of code generated from proto/: the server's, then each client's.
proto: $(STAMP)
	PYTHON=$(PY) scripts/gen_proto.sh
	PYTHON=$(abspath $(PY)) clients/python/scripts/gen.sh
	cd clients/typescript && npm ci --no-audit --no-fund && npm run generate

docs: $(STAMP)
	$(PY) scripts/docgen.py

# BASELINE=REF also runs the server of git revision REF in every round: ratios in one run.
bench: $(STAMP)
	$(PY) bench/run.py $(if $(BASELINE),--baseline $(BASELINE))
	$(PY) bench/fleet_cost.py

# Long run, never part of `make test`: 200,000 mixed calls at 32 in flight against a real
# server with the audit log on; 0 unexpected results, RSS growth < 5 % (docs/operations.md).
soak: $(STAMP)
	$(PY) tests/operability/soak.py

clean:
	rm -rf $(VENV) build *.egg-info service/*.egg-info
