# kefu — every target installs what it needs first; `make check` is exactly what CI runs.
SHELL := /bin/bash
UV := $(shell bash scripts/ensure-uv.sh)
PYTEST_ARGS ?=

.PHONY: help install demo serve worker migrate test-deps lint typecheck test test-fast check bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: ## install uv (if missing) and the locked Python dependencies into .venv
	$(UV) sync --frozen --quiet

demo: install ## load demo data under ./var and serve web + API + worker on 127.0.0.1:8000
	$(UV) run --frozen kefu demo

serve: install ## serve without demo data
	$(UV) run --frozen kefu serve

worker: install ## run the background worker alone
	$(UV) run --frozen kefu worker

migrate: install ## apply database migrations
	$(UV) run --frozen kefu db upgrade

test-deps: ## Debian packages the tests drive for real: chromium, dovecot (needs root)
	bash scripts/install-browser.sh
	bash scripts/install-test-deps.sh

lint: install ## ruff lint + format check
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen ruff format --check src tests bench

typecheck: install ## mypy (strict for domain and services)
	$(UV) run --frozen mypy

test: install test-deps ## the whole suite, SQLite and PostgreSQL
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-fast: install ## domain unit tests only
	$(UV) run --frozen pytest tests/unit -q

check: lint typecheck test ## what CI runs: lint, types, the full suite on both databases

bench: install ## benchmarks (default sizes; see docs/performance.md for 1M runs)
	bash scripts/install-bench-deps.sh
	$(UV) run --frozen python -m bench.run_all
