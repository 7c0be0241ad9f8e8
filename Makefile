# The two commands of the README, and the steps behind them.
#   make run   - install (if needed) and run the whole fleet on the embedded default
#   make test  - install (if needed) and run every test
.PHONY: install run up down test test-changed lock bench bench-gpu validate clean

install:  ## create/refresh .venv from the hash-locked requirements (no-op when current)
	@bash scripts/install.sh

run: install  ## one logical date for every pipeline, on a local Airflow + MLflow
	@./modelfleet run

up: install
	@./modelfleet up

down:
	@./modelfleet down

validate: install
	@./modelfleet validate

test: install  ## the whole suite, as CI runs it (.ci/run)
	@.venv/bin/pytest

test-changed: install  ## only the tests a change reaches: make test-changed BASE=origin/main
	@scripts/pants --changed-since=$${BASE:-origin/main} --changed-dependents=transitive test

bench: install  ## parse time, platform overhead and fleet GPU scheduling; writes docs/BENCHMARKS.md (bench-gpu: only the GPU part)
	@.venv/bin/python -m tests.benchmarks.run

bench-gpu: install  ## the fleet GPU scheduling benchmark alone (about 15 minutes); rewrites its section of docs/BENCHMARKS.md
	@.venv/bin/python -m tests.benchmarks.run --only gpu

lock:  ## regenerate the hash-locked requirements on purpose (docs/operators.md)
	@bash scripts/lock.sh

clean: down
	rm -rf .modelfleet
