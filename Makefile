# The two commands of the README, and the benchmarks.
PYTHON ?= $(or $(ODOO_PYTHON),python3)

.PHONY: run test bench lint i18n mutation
run:
	$(PYTHON) scripts/run.py

test:
	$(PYTHON) scripts/test.py

bench:
	$(PYTHON) scripts/bench.py $(SCENARIO)

# Slow (minutes to an hour): not part of `make test`. MODULES="push.py" limits it.
mutation:
	MODULES="$(MODULES)" $(PYTHON) scripts/mutation.py

lint:
	$(PYTHON) -m ruff check .

i18n:
	$(PYTHON) scripts/i18n.py
