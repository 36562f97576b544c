# ftgate — the index of what a developer can run. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FTGATE := $(VENV)/bin/ftgate
STAMP := $(VENV)/.installed
SHELL := /bin/bash
# pip, quiet: this machine's pip config names local indexes that may be absent, and pip warns
# about each on every install; those lines are dropped (errors still show).
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
PIP_QUIET := 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

.PHONY: run test test-long test-service test-clients test-deploy lint typecheck proto bench soak docs screenshots clean help

help:
	@echo "make run        set up .venv and run the service (gRPC 127.0.0.1:50051, HTTP + console 127.0.0.1:8080, metrics 127.0.0.1:9464)"
	@echo "make test       set up .venv and run the whole test suite: all three parts, then a summary"
	@echo "                (with CI=true, as CI runs it, test-long too)"
	@echo "make test-long  the long property runs (thousands of random profiles), part of CI's make test"
	@echo "make lint       ruff + buf lint;  make typecheck  mypy strict"
	@echo "make proto      regenerate all code generated from proto/ (server, Python and TypeScript clients)"
	@echo "make test-service | test-clients | test-deploy   one part of make test"
	@echo "make bench      benchmarks (never part of make test);  make soak  reload, stuck-client and 200,000-call soaks"
	@echo "make docs       regenerate README's rules table and examples/*.out.txt from rules/"
	@echo "make screenshots  regenerate docs/console*.png (the web console in headless chromium)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e '.[dev]' $(PIP_QUIET)
	touch $(STAMP)

venv: $(STAMP)

# Flags for the server: make run ARGS="--http-listen 127.0.0.1:8180"
run: $(STAMP)
	$(FTGATE) serve $(ARGS)

# The README's test command. Each part can run alone; `make test` runs all three even when one
# fails, then says how each went, and fails if any did. In CI (CI=true) it runs test-long too.
TEST_PARTS := test-service test-clients test-deploy $(if $(filter true,$(CI)),test-long)
# pytest-xdist workers for the service and deploy tests (one per core; `TEST_WORKERS=0`: one process).
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup --durations=15

test: $(STAMP)
	@failed=0; summary=""; \
	for part in $(TEST_PARTS); do \
	  started=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$part; then result="passed"; \
	  else result="FAILED"; failed=$$((failed + 1)); fi; \
	  summary="$$summary$$(printf '  %-13s %-7s %5ss' $$part $$result $$(( $$(date +%s) - started )))\n"; \
	done; \
	printf '\nmake test:\n%b' "$$summary"; \
	if [ $$failed -ne 0 ]; then echo "make test: $$failed of $(words $(TEST_PARTS)) parts failed" >&2; exit 1; fi

# pytest over $(1) (with the options $(2)); a part in which pytest finds no test at all (its exit
# code 5) fails, saying so.
define pytest_part
	@echo "$(PY) -m pytest -q $(2) $(1)"
	@$(PY) -m pytest -q $(2) $(1) || { code=$$?; \
	  if [ $$code -eq 5 ]; then echo "$@: pytest collected no test in $(1)" >&2; fi; exit $$code; }
endef

# Tests in parallel (tests/conftest.py: what must not share a worker is grouped), the slowest 15
# listed; the long property runs (marker `long`) are left to test-long.
test-service: $(STAMP)
	$(call pytest_part,tests,$(PYTEST_PARALLEL) -m 'not long')

test-long: $(STAMP)
	$(call pytest_part,tests,-m long)

# Client SDKs (clients/python, clients/typescript) against a live server.
test-clients: $(STAMP)
	FTGATE_BIN=$(abspath $(FTGATE)) PYTHON=$(PYTHON) clients/python/scripts/test.sh
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm test --loglevel=error
	$(VENV)/bin/buf breaking proto --against clients/baseline/ftgate-v1.binpb

# deploy/: manifests, alert rules, Prometheus end to end.
test-deploy: $(STAMP)
	@cmp -s deploy/requirements.txt $(VENV)/.deploy-requirements || { \
	  $(PIP_INSTALL) -r deploy/requirements.txt $(PIP_QUIET) && \
	  cp deploy/requirements.txt $(VENV)/.deploy-requirements; }
	@deploy/scripts/ensure-prometheus.sh
	$(call pytest_part,deploy/tests,$(PYTEST_PARALLEL))

lint: $(STAMP)
	$(VENV)/bin/ruff check service tests scripts bench
	cd proto && ../$(VENV)/bin/buf lint

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Regenerates every piece of code generated from proto/: the server's, then each client's.
proto: $(STAMP)
	PYTHON=$(PY) scripts/gen_proto.sh
	PYTHON=$(abspath $(PY)) clients/python/scripts/gen.sh
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run generate

docs: $(STAMP)
	$(PY) scripts/docgen.py
	$(PY) -m ftgate.server.http.examples examples service/ftgate/server/http/console/examples.json

screenshots: $(STAMP)
	$(PY) scripts/console_screenshots.py

# BASELINE=REF also runs the server of git revision REF in every round: ratios in one run.
bench: $(STAMP)
	$(PY) bench/run.py $(if $(BASELINE),--baseline $(BASELINE))
	$(PY) bench/http_vs_grpc.py
	$(PY) bench/fleet_cost.py
	$(PY) bench/engines.py

# Long run, never part of `make test` (docs/operations.md), each part with an RSS bound in its
# output: 300 rule reloads under calls (< 16 MiB), 300 clients that never read (within the
# stream and connection caps), 200,000 mixed calls at 32 in flight with the audit log on
# (0 unexpected results, RSS growth < 5 %).
soak: $(STAMP)
	$(PY) tests/operability/soak.py

clean:
	rm -rf $(VENV) build *.egg-info service/*.egg-info
