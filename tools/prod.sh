#!/usr/bin/env bash
# Production mode on this machine: PostgreSQL, Redis-backed optimization workers, gunicorn.
# Usage: tools/prod.sh   (or `make prod`). Stop with Ctrl-C; the worker stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOURPLANNER_PRODUCTION=1
export DATABASE_URL="${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/tourplanner}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/1}"
export PUBLIC_HOST="${PUBLIC_HOST:-127.0.0.1:8000}"  # a real deployment sets its own (feed and email links)
mkdir -p instance
if [ -z "${SECRET_KEY:-}" ]; then
  # A local production run gets a random key kept in the (git-ignored) instance folder.
  [ -s instance/secret_key ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(48))" > instance/secret_key
  SECRET_KEY="$(cat instance/secret_key)"
  export SECRET_KEY
fi
.venv/bin/python tools/create_database.py "$DATABASE_URL"
.venv/bin/flask --app tourplanner db upgrade
.venv/bin/flask --app tourplanner worker --workers "${WORKERS:-1}" &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT
.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
