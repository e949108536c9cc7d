# Two commands do everything on a fresh machine with Python >= 3.11:
#   make run    the main job on the embedded local AWS: the chat, deployed and demonstrated
#   make test   style, types and every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The learner's install (make run, make lab): wslab and JupyterLab, nothing else. make test
# adds the test and dev extras (pytest, Playwright, linters, type checker) on top.
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# checkov pins an old boto3: it gets an environment of its own.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The SAM CLI, the deploy tool of most apps in apps/ (make apps) and of
# tests/e2e/test_sam_cli.py (skipped without it), in an environment of its own: it pins
# botocore and click versions of its own. (The CDK CLI is in package.json; Chalice goes in
# its app's environment, as its tutorial has it.)
SAM_VENV ?= .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
# What Node.js needs (package.json, pinned by package-lock.json): the AWS SDK for JavaScript
# v3 that Node.js functions get on wslab local and wscat, a WebSocket client the conformance
# tests and notebook 04 drive (the learner's: NODE_STAMP); then the CDK CLI (make apps) and
# the mermaid CLI (make pictures, on Debian's Chromium: PUPPETEER_SKIP_DOWNLOAD keeps npm
# from fetching a browser), the developer's (NODE_DEV_STAMP). Without npm the Node.js tests
# are skipped, each saying why.
NODE_STAMP := node_modules/.installed
NODE_DEV_STAMP := node_modules/.installed-dev

.PHONY: run local test style types template sam tests bench load clean notebooks notebook-outputs lab browser pictures moto-compat wheels-check wheelhouse apps apps-quick zero-install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,dev,notebooks,hub]'
	touch $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/wslab demo

local: $(STAMP)
	$(BIN)/wslab local

test: style types template tests notebooks

style: $(DEV_STAMP)
	$(BIN)/ruff check src lambda_src tests benchmarks
	$(BIN)/ruff format --check src lambda_src tests benchmarks

types: $(DEV_STAMP)
	$(BIN)/mypy

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2'
	touch $(CHECKOV_STAMP)

sam: $(SAM_STAMP)

template: $(DEV_STAMP) $(CHECKOV_STAMP)
	$(BIN)/cfn-lint cloudformation/template.yaml cloudformation/apigateway-account.yaml \
		cloudformation/attendees.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download \
		-f cloudformation/template.yaml -f cloudformation/apigateway-account.yaml \
		-f cloudformation/attendees.yaml

# The learner's npm install leaves out the developer's tools (npm ci --omit=dev: no CDK CLI,
# no mermaid CLI and its browser driver, about 300 MB); the developer's has them all.
$(NODE_STAMP): package.json package-lock.json
	@if [ -f $(NODE_DEV_STAMP) ] && [ $(NODE_DEV_STAMP) -nt package-lock.json ]; then \
		touch $(NODE_STAMP); \
	elif command -v npm >/dev/null 2>&1; then \
		npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error \
			&& touch $(NODE_STAMP); \
	else echo "npm not found: Node.js functions get no AWS SDK; the Node.js cells will be skipped"; fi

$(NODE_DEV_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error \
			&& touch $(NODE_STAMP) $(NODE_DEV_STAMP); \
	else echo "npm not found: Node.js functions get no AWS SDK; the Node.js tests will be skipped"; fi

# Two workers (pytest-xdist), each test file whole on one worker: a file's local stack
# starts once. WORKERS=0 runs them in this process.
WORKERS ?= 2
tests: $(DEV_STAMP) $(NODE_DEV_STAMP)
	$(BIN)/pytest -n $(WORKERS) --dist loadfile

# Debian's Chromium (.ci/debian-packages), which the browser page's tests drive through
# Playwright; where it is missing and cannot be installed (no root, no apt-get, no network),
# those tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$$(cat .ci/debian-packages) >/dev/null; } \
		|| echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no chromium, and no root apt-get to install it: the browser tests will be skipped"; fi

# The tutorial's pictures: docs/pictures/*.mmd (mermaid) rendered to the SVG beside each, by
# the mermaid CLI on Debian's Chromium (make browser) with a CJK font (fonts-noto-cjk, in
# .ci/debian-packages) for the Chinese labels. Only the pictures whose source changed.
pictures: $(NODE_DEV_STAMP)
	$(PYTHON) .ci/pictures.py

# The room's zero-install path (.devcontainer/, binder/) from scratch: setup.sh in a new
# venv (pip from its cache, npm ci), then binder/start, the page and a WebSocket through a
# Jupyter server's proxy. Minutes of pip: once per CI, not in make tests.
zero-install: $(DEV_STAMP)
	WSLAB_FRESH_INSTALL=1 $(BIN)/pytest -p no:xdist -q tests/e2e/test_zero_install_fresh.py

# moto's own tests for the services wslab extends, run on plain moto and on moto as
# `wslab local` extends it, compared against tests/moto_compat/intended.toml.
moto-compat: $(DEV_STAMP)
	$(BIN)/python tests/moto_compat/gate.py

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli==1.170.0'
	touch $(SAM_STAMP)

# Public WebSocket apps written for AWS (apps/), each deployed unchanged by its own tool
# (SAM CLI, CDK CLI, Chalice, boto3) on a fresh `wslab local`, driven by WebSocket clients
# as its README says, deleted, compared with tests/apps/expectations.toml. apps-quick: the
# subset CI runs. Needs npm and the network (npm and PyPI) on the first run.
apps: $(STAMP) $(NODE_DEV_STAMP) $(SAM_STAMP)
	$(BIN)/python -m tests.apps.gate

apps-quick: $(STAMP) $(NODE_DEV_STAMP) $(SAM_STAMP)
	$(BIN)/python -m tests.apps.gate --quick

# The learner's install (wslab[notebooks], as the README has it) resolved to binary wheels
# for macOS (arm64, x86_64), Windows and Linux (x86_64, aarch64) under Python 3.11-3.13, from
# PyPI: needs the network; 4 to 20 minutes (more under load), mostly fetching metadata.
wheels-check: $(DEV_STAMP)
	$(BIN)/python .ci/wheels.py --extra notebooks

# A folder of those wheels, the project's own among them, for a room to install from offline
# (docs/workshop.md): every system and Python by default, or e.g.
# make wheelhouse WHEELHOUSE_FOR='--system "macOS arm64" --python 3.12'
WHEELHOUSE ?= wheelhouse
wheelhouse: $(STAMP)
	$(BIN)/python .ci/wheels.py --extra notebooks --download $(WHEELHOUSE) $(WHEELHOUSE_FOR)

# The tutorial, in order, edition by edition (notebooks/, then the Chinese notebooks/zh/),
# each edition against a fresh local AWS on a free port (notebooks/conftest.py), each
# notebook's stored outputs checked by nbval. Node.js (the article's function, wscat) is
# optional: without npm, the cells that need it are skipped and say why.
notebooks: $(DEV_STAMP) $(NODE_DEV_STAMP)
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg notebooks/

# Run every notebook, each edition on a fresh local AWS, and store its outputs (before
# committing a change).
notebook-outputs: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m wslab.notebook.outputs

# Jupyter refuses to run as root unless told to (a workshop VM often logs in as root).
lab: $(STAMP) $(NODE_STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

# SLS_OFFLINE_DIR: a folder with `npm install serverless@3 serverless-offline@13` done in it,
# for the side-by-side run (without it, only wslab local is measured).
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/local_aws.py
	cd benchmarks && ../$(BIN)/python side_by_side.py \
		$(if $(SLS_OFFLINE_DIR),--serverless-offline $(SLS_OFFLINE_DIR)) --plot figures/side_by_side.png

# The load, fault and fuzz suite at full size (tests/load/; make test runs it short):
# 10 to 15 minutes, figures printed at the end.
load: $(DEV_STAMP)
	$(BIN)/python -m tests.load

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) $(WHEELHOUSE) .pytest_cache .mypy_cache .ruff_cache .cache
