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
	@echo "make bench      benchmarks (never part of make test);  make soak  reload, stuck-client and 200,000-call soaks"
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

bench: $(STAMP)
	$(PY) bench/run.py

# Long run, never part of `make test` (docs/operations.md), each part with an RSS bound in its
# output: 300 rule reloads under calls (< 16 MiB), 300 clients that never read (within the
# stream and connection caps), 200,000 mixed calls at 32 in flight with the audit log on
# (0 unexpected results, RSS growth < 5 %).
soak: $(STAMP)
	$(PY) tests/operability/soak.py

clean:
	rm -rf $(VENV) build *.egg-info service/*.egg-info
