# Infusion Clinic: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/infusion_clinic
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
LINT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run install migrate seed test test-clock test-fast bench lint lint-migrations backup restore check-services clean help

help:
	@echo "make run    - set up a virtualenv, migrate, seed the demo clinic, serve on http://127.0.0.1:8000"
	@echo "make test   - the whole suite on PostgreSQL and Redis, with browser tests in Chromium"
	@echo "make test-clock - the suite (without the browser) under odd clocks: Saturday 23:50, the spring-forward night, Christmas Eve"
	@echo "make bench  - benchmarks (bench/); make lint - ruff and the import-linter contracts"
	@echo "make backup - database (pg_dump) and letters into backups/; make restore BACKUP_DIR=... puts them back"

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --no-input

# The demo signs in with passwords alone unless MFA_REQUIRED_ROLES is set in the environment (README).
seed: migrate
	DEBUG=$${DEBUG:-true} MFA_REQUIRED_ROLES="$${MFA_REQUIRED_ROLES-}" $(PY) manage.py seed_demo

# The demo: SQLite and in-process tasks unless DATABASE_URL / CELERY_BROKER_URL are set.
# Ctrl-C stops the web server and the Celery worker together; a worker that exits on its own (e.g.
# Redis went away) is started again by scripts/worker_forever.sh.
run: seed
	@export DEBUG=$${DEBUG:-true} MFA_REQUIRED_ROLES="$${MFA_REQUIRED_ROLES-}"; \
	trap 'kill 0' INT TERM EXIT; \
	if [ -n "$$CELERY_BROKER_URL" ]; then \
	  echo "Starting a Celery worker with beat on $$CELERY_BROKER_URL"; \
	  scripts/worker_forever.sh $(VENV)/bin/celery -A infusion_clinic worker --beat --scheduler django_celery_beat.schedulers:DatabaseScheduler -l INFO & \
	else \
	  echo "No CELERY_BROKER_URL: tasks run in-process; 'python manage.py run_due_work' runs the periodic work once."; \
	fi; \
	$(PY) manage.py runserver 127.0.0.1:8000

check-services:
	@$(PY) -c "import psycopg2,sys; psycopg2.connect('$(TEST_DATABASE_URL)'.rsplit('/',1)[0] + '/postgres').close()" 2>/dev/null || { \
	  echo "PostgreSQL does not answer at $(TEST_DATABASE_URL)."; \
	  echo "Start it with: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start"; exit 1; }
	@$(PY) -c "import redis; redis.Redis.from_url('$(TEST_BROKER_URL)').ping()" 2>/dev/null || { \
	  echo "Redis does not answer at $(TEST_BROKER_URL)."; \
	  echo "Start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no"; exit 1; }
	@test -x $${CHROMIUM_PATH:-/usr/bin/chromium} || { echo "Chromium is missing: apt-get install -y chromium"; exit 1; }

test: install check-services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_REDIS_URL=$(TEST_BROKER_URL) \
	  $(PY) -m pytest $(PYTEST_ARGS)
	env -u SECRET_KEY -u DEBUG DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory lint-migrations
	$(VENV)/bin/lint-imports

# Backward-incompatible migrations (a column dropped or renamed, NOT NULL without a default...) fail
# unless acknowledged by name, with the reason, in MIGRATION_LINTER_ACKNOWLEDGED (settings_test.py).
lint-migrations: install
	@# sqlmigrate needs a connection but no tables: the server's own postgres database always exists.
	DJANGO_SETTINGS_MODULE=infusion_clinic.settings_test DATABASE_URL=$(LINT_DATABASE_URL) \
	  $(PY) manage.py lintmigrations > .lintmigrations.log 2>&1 \
	  || { grep -B1 -A6 '\.\.\. ERR' .lintmigrations.log; tail -5 .lintmigrations.log; exit 1; }
	@tail -4 .lintmigrations.log

# Backups: the database in pg_dump's custom format and the letter storage, into BACKUP_DIR
# (default backups/<date-time>). Restore into an empty database: createdb NAME, then
# make restore BACKUP_DIR=backups/... DATABASE_URL=postgres://.../NAME
backup: install
	$(PY) manage.py backup $(if $(BACKUP_DIR),--to $(BACKUP_DIR))

restore: install
	@test -n "$(BACKUP_DIR)" || { echo "Say which backup: make restore BACKUP_DIR=backups/20261125-0200"; exit 1; }
	$(PY) manage.py restore $(BACKUP_DIR)

# The suite must pass at any hour of any day. libfaketime shifts the clock of pytest and of every
# process it starts (gunicorn, Celery workers) by one offset, and the clock keeps ticking from there:
# a Saturday at 23:50 (the run crosses midnight), 00:58 GMT on the night the clocks go forward (UK time
# jumps from 01:00 to 02:00 during the run) and Christmas Eve at 21:45. The times are UTC, which is UK
# time on each of these dates. PostgreSQL and Redis keep the real clock: the code never asks the
# database for "now". Browser tests stay out (Chromium keeps its own clock). All three clocks run;
# the target fails at the end naming each clock whose run failed.
ODD_CLOCKS := 2026-12-05T23:50:00Z 2027-03-28T00:58:00Z 2026-12-24T21:45:00Z

test-clock: install check-services
	@command -v faketime >/dev/null 2>&1 || { echo "faketime is missing: apt-get install -y faketime"; exit 1; }
	@failed=""; for clock in $(ODD_CLOCKS); do \
	  offset=$$(( $$(date -u -d "$$clock" +%s) - $$(date -u +%s) )); \
	  echo "== make test-clock: the suite with the clock at $$clock (offset $${offset}s)"; \
	  faketime -f "$$(printf '%+ds' $$offset)" \
	    env DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_REDIS_URL=$(TEST_BROKER_URL) \
	    $(PY) -c "from datetime import datetime; from zoneinfo import ZoneInfo; print('   UK time now:', datetime.now(ZoneInfo('Europe/London')))"; \
	  faketime -f "$$(printf '%+ds' $$offset)" \
	    env DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_REDIS_URL=$(TEST_BROKER_URL) \
	    $(PY) -m pytest -m "not browser" -q $(PYTEST_ARGS) || failed="$$failed $$clock"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test-clock: the suite failed with the clock at$$failed"; exit 1; fi

# The pytest benchmarks (slot finder, reminders), then the load benchmark on the scale dataset in
# BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/infusion_clinic_bench; seeded once,
# a few minutes): gunicorn and locust, the table in bench/results.md (bench/README.md).
bench: install check-services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest bench -p no:cacheprovider -s -o testpaths=bench -o python_files='bench_*.py' $(PYTEST_ARGS)
	$(PY) bench/load.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles tests/artifacts
