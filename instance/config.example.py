# Copy to instance/config.py and edit. This file is read after the defaults and before the environment.
# SECRET_KEY = "a long random string: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://tour@127.0.0.1:5432/tour"
# GEOCODER = "nominatim"              # online geocoder tried after the offline one
# GEOCODER_USER_AGENT = "tour-nonprofit-planner (you@example.org)"
# ROUTING_ENGINE = "osrm"             # or "valhalla"
# ROUTING_URL = "http://127.0.0.1:5000"
# MAIL_SMTP_HOST = "127.0.0.1"
# MAIL_FROM = "tour@example.org"
# REDIS_URL = "redis://127.0.0.1:6379/0"
# PUBLIC_HOST = "tour.example.org"
