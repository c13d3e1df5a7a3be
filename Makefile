# Two commands for a new machine: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RENOVATE := tools/renovate/node_modules/.bin/renovate

.PHONY: venv demo test test-fast lint bench bench-action clean renovate docs image-test

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cloud,action,dev]'
	touch $(STAMP)

$(RENOVATE): tools/renovate/package.json tools/renovate/package-lock.json
	npm ci --prefix tools/renovate --no-audit --no-fund --loglevel=error
	touch $(RENOVATE)

renovate: $(RENOVATE)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

# The whole suite: unit, property, CLI, real git, moto, loopback GitHub, real Renovate, linters.
RENOVATE_DEP := $(if $(wildcard tools/renovate/package.json),$(RENOVATE))

test: $(STAMP) $(RENOVATE_DEP)
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory lint

# Before every commit (under a minute): all but the real Renovate, fuzzing, property tests,
# moto, injected-latency and real-retry tests (marked slow), on every core (pytest-xdist);
# `make test` runs everything, in one process.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not renovate and not slow" -n auto

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples

bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/plan_scale.py
	$(BIN)/python bench/gate.py

# Build the action's Dockerfile with buildah on a local Debian base and run its entrypoint; push
# it to a loopback registry, pin a copy of action.yml to the digest, pull it back, run it again.
image-test:
	bash tools/image-test.sh

# A job's start-to-verdict time, building the image vs pulling it, and the CLI's own (minutes:
# it builds the image; root, as image-test).
bench-action: $(STAMP)
	$(BIN)/python bench/action.py

clean:
	rm -rf $(VENV) tools/renovate/node_modules .pytest_cache

docs: $(STAMP)
	$(BIN)/python -m os_tooling.report.policy_doc > docs/versioning-policy.md
	$(BIN)/python -m tests.doc_examples --write
