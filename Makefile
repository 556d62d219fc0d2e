# The two commands: `make run` brings the platform up on embedded defaults,
# `make test` runs the test suite. Both bootstrap the virtualenv themselves.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist); TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= 2

.PHONY: run test bootstrap migrate demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

bootstrap: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/energycloud up

test: $(STAMP)
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

migrate: $(STAMP)
	$(VENV)/bin/energycloud migrate

demo: $(STAMP)
	$(VENV)/bin/energycloud demo-data

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var/*.db var/temporal*
