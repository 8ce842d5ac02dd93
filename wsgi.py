"""WSGI entry point: `gunicorn wsgi:app`."""

from tourplanner import create_app

app = create_app()
