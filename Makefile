# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app tourplanner
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/tourplanner_test

.PHONY: js-deps run test test-sqlite test-postgres test-production venv valhalla bench bench-deps system-deps prod worker clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-test.txt
	$(MAKE) valhalla
	touch $(STAMP)

# Valhalla's tile builder and HTTP service, as shipped in the pyvalhalla wheel (Python-independent
# executables; only a cp312 wheel has them), for tests/geo/test_geo_routing.py.
VALHALLA_WHEEL := pyvalhalla==3.9.1
valhalla:
	test -x $(VENV)/valhalla/valhalla/bin/valhalla_service || ( \
	  $(PY) -m pip download -q --only-binary=:all: --no-deps --python-version 3.12 \
	    --platform manylinux_2_28_x86_64 $(VALHALLA_WHEEL) -d $(VENV)/valhalla-wheel && \
	  $(PY) -m zipfile -e $(VENV)/valhalla-wheel/pyvalhalla-*.whl $(VENV)/valhalla && \
	  chmod +x $(VENV)/valhalla/valhalla/bin/* )

run: venv
	$(FLASK) db upgrade
	$(FLASK) geo-index
	$(FLASK) demo --if-missing
	$(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on a SQLite file, every database test again on the real PostgreSQL, then the
# production tests (gunicorn + workers; they restart PostgreSQL and stop Redis), alone.
test: venv
	$(MAKE) test-sqlite
	$(MAKE) test-postgres
	$(MAKE) test-production

test-sqlite: venv js-deps
	TEST_DATABASE=sqlite $(PY) -m pytest -q -n 2 --dist loadgroup -m "not serial" tests

test-postgres: venv
	TEST_DATABASE=postgresql TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q -n 2 -m "database and not serial" tests

test-production: venv
	$(PY) -m pytest -q -m serial tests

# Mozilla ical.js (pinned in tests/js/package-lock.json) for the calendar-client tests; without npm they skip.
js-deps:
	if command -v npm >/dev/null; then npm ci --prefix tests/js --no-audit --no-fund >/dev/null; \
	else echo "npm not found: the ical.js tests will be skipped (required in CI)"; fi

# Debian packages that the calendar-client and browser tests use (CI installs them; root needed).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	  gir1.2-ical-3.0 python3-gi calcurse khal >/dev/null
	command -v node >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null

bench-deps: venv
	$(PY) -m pip install -q -r requirements-bench.txt

bench: bench-deps
	$(PY) bench/solomon.py --time-limit 60
	$(PY) bench/toptw.py --time-limit 60
	$(PY) bench/tour.py --time-limit 60

# Production mode locally: gunicorn on 127.0.0.1:8000, PostgreSQL, Redis workers (see README).
prod: venv
	tools/prod.sh

# Optimization workers: with REDIS_URL set, run this on as many machines as needed (WORKERS per machine).
worker: venv
	$(FLASK) worker --workers $${WORKERS:-1}

clean:
	rm -rf $(VENV) .pytest_cache
