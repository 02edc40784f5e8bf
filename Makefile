.PHONY: run test setup lint bench

run:    ## set up, migrate, seed the demo and serve on http://127.0.0.1:8000 (SQLite, SandboxProvider)
	scripts/run.sh

test:   ## set up (venv, packages, chromium) and run the whole suite
	scripts/test.sh

setup:
	scripts/setup.sh

lint:   ## ruff (lint rules, formatting) and import-linter (the layers in .importlinter); CI runs it after the tests
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
