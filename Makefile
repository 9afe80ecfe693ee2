# complaint-ops: `make demo` installs everything and runs the main job on the embedded default
# (SQLite under var/, mail captured locally); `make test` runs every test.
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo test test-unit test-integration test-e2e test-reliability soak mail-png bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

test: install
	$(BIN)/python -m pytest -q tests

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

test-integration: install
	$(BIN)/python -m pytest -q tests/integration

test-e2e: install
	$(BIN)/python -m pytest -q tests/e2e

test-reliability: install
	$(BIN)/python -m pytest -q tests/reliability

# The reliability state machine with many more examples and fresh randomness (minutes to hours).
soak: install
	COMPLAINT_OPS_SOAK=1 $(BIN)/python -m pytest -q tests/reliability/test_state_machine.py

# Each kind of message rendered to PNG with headless Chromium (apt-get install chromium fonts-noto-cjk),
# from the database `make demo` builds; the pictures land in docs/mail/.
mail-png: install
	$(BIN)/python scripts/render_mail_png.py --out docs/mail

# Benchmarks (docs/benchmarks.md): builds the PostgreSQL databases once (100k, 1M, 5M complaints; the 5M
# build takes the better part of an hour and ~20 GB), measures, and writes the page.
bench: install
	$(BIN)/python bench/build.py 100k 1m 5m
	$(BIN)/python bench/daily.py 100k 1m 5m
	$(BIN)/python bench/replay.py --size 1m
	$(BIN)/python bench/airflow_backfill.py
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/report.py

clean:
	rm -rf var/complaints.db* var/outbox
