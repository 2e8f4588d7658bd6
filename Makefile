# The two commands of the README, and the benchmarks.
PYTHON ?= $(or $(ODOO_PYTHON),python3)

.PHONY: run test bench lint
run:
	$(PYTHON) scripts/run.py

test:
	$(PYTHON) scripts/test.py

bench:
	$(PYTHON) scripts/bench.py $(SCENARIO)

lint:
	$(PYTHON) -m ruff check .
