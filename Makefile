# The two commands of the README, and the benchmarks.
PYTHON ?= $(or $(ODOO_PYTHON),python3)

.PHONY: run test bench lint i18n
run:
	$(PYTHON) scripts/run.py

test:
	$(PYTHON) scripts/test.py

bench:
	$(PYTHON) scripts/bench.py $(SCENARIO)

lint:
	$(PYTHON) -m ruff check .

i18n:
	$(PYTHON) scripts/i18n.py
