"""gunicorn settings for production mode (`make prod`): several workers, logs to stderr."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread"
timeout = 60
keepalive = 15  # longer than a client's idle gap, so a reused connection is not closed under it
graceful_timeout = 20
accesslog = None  # the app writes its own access log, with token paths redacted
errorlog = "-"
loglevel = "info"
preload_app = True  # wsgi.py warms the geocoder index once, before forking
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
