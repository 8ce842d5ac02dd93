"""Default settings. Secrets come from instance/config.py or the environment, never from here."""

import os

DEFAULT_SECRET_KEY = "dev-only-not-secret"
DEVELOPMENT_HOST = "127.0.0.1:5000"  # `make run` / `flask run`


class Config:
    """Defaults for the embedded setup: SQLite in instance/, no outside services."""

    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled by create_app: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = 12 * 3600  # the public form may sit open for a school day
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PRODUCTION = False
    PROXY_FIX = 0  # how many reverse proxies' X-Forwarded-For/-Proto to trust; 0: none (a client could forge them)
    # Outside services: off unless configured.
    GEOCODER = None  # e.g. "nominatim"
    GEOCODER_USER_AGENT = "tourplanner"
    ROUTING_URL = None  # OSRM or Valhalla base URL
    ROUTING_ENGINE = None  # "osrm" or "valhalla"
    MAIL_SMTP_HOST = None
    MAIL_SMTP_PORT = 25
    MAIL_FROM = "tour@example.org"
    MAIL_SMTP_STARTTLS = False
    MAIL_SMTP_USER = None
    MAIL_SMTP_PASSWORD = None
    MAIL_SMTP_TIMEOUT = 20
    MAIL_OUTBOX = None  # default: instance/outbox/
    INTAKE_RATE_LIMIT = "20 per hour"  # accepted public form posts per client address (a school network is shared)
    INTAKE_EMAIL_RATE_LIMIT = "3 per hour"  # accepted public form posts, hence receipts, per contact email
    REDIS_URL = None  # set for Redis-backed optimization workers
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down: the forms keep working, limits fall back to memory
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
    # The host (and port) people reach the app at: calendar UIDs and every link in a feed or an email.
    # Production refuses to start without it; elsewhere it defaults to the development server's address.
    PUBLIC_HOST = None


ENV_SETTINGS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "REDIS_URL": "REDIS_URL",
    "GEOCODER": "GEOCODER",
    "ROUTING_URL": "ROUTING_URL",
    "ROUTING_ENGINE": "ROUTING_ENGINE",
    "MAIL_SMTP_HOST": "MAIL_SMTP_HOST",
    "MAIL_SMTP_PORT": "MAIL_SMTP_PORT",
    "MAIL_SMTP_USER": "MAIL_SMTP_USER",
    "MAIL_SMTP_PASSWORD": "MAIL_SMTP_PASSWORD",
    "MAIL_FROM": "MAIL_FROM",
    "PUBLIC_HOST": "PUBLIC_HOST",
    "MAP_TILE_URL": "MAP_TILE_URL",
    "MAP_TILE_ATTRIBUTION": "MAP_TILE_ATTRIBUTION",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX": "RATELIMIT_KEY_PREFIX",  # apps sharing one Redis keep their limits apart
    "PROXY_FIX": "PROXY_FIX",
    "JOB_NICE": "JOB_NICE",
    "JOB_SOLVE_WALKS": "JOB_SOLVE_WALKS",
}


def from_environment(environ=os.environ) -> dict:
    """Settings named in the environment (TOURPLANNER_PRODUCTION=1 switches production on)."""
    settings = {key: environ[var] for var, key in ENV_SETTINGS.items() if environ.get(var)}
    if environ.get("TOURPLANNER_PRODUCTION") in ("1", "true", "yes"):
        settings["PRODUCTION"] = True
    return settings
