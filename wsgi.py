"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from tourplanner import create_app

app = create_app()

with app.app_context():
    # Load the offline geocoder's index once, before gunicorn forks its workers, so that no venue's
    # first request waits for it.
    from tourplanner.geo.index import default_index_path, load_index

    load_index(default_index_path())
