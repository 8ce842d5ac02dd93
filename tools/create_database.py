"""Create the PostgreSQL database named in a URL if it does not exist yet (for `make prod`)."""

import sys

import psycopg
from sqlalchemy.engine import make_url


def create_database(url: str) -> bool:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return False
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{parsed.database}"')
    return True


if __name__ == "__main__":
    if create_database(sys.argv[1]):
        print(f"created database {make_url(sys.argv[1]).database}")
