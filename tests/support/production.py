"""The production mode on 127.0.0.1 for journey, load and fault tests: gunicorn, PostgreSQL, Redis workers."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_RESTART = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
                 "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 10.0):
    """One plain HTTP call; returns (status, headers, body) and never raises for an HTTP status."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session_cookie(headers) -> str:
    """The session cookie from Set-Cookie (sent back by hand: it is Secure and this is plain http)."""
    for value in headers.get_all("Set-Cookie") or []:
        match = re.match(r"(session=[^;]+)", value)
        if match:
            return match.group(1)
    return ""


class ProductionServer:
    """gunicorn serving wsgi:app with N workers, an optimization worker on Redis, a fresh PostgreSQL database."""

    def __init__(self, tmp: Path, web_workers: int = 4, job_workers: int = 1, extra_env: dict | None = None):
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_name = f"tp_prod_{uuid.uuid4().hex[:8]}"
        self.database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.db_name}"
        self.env = {
            **os.environ,
            "TOURPLANNER_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "TOURPLANNER_HUEY_NAME": f"tp-{uuid.uuid4().hex[:8]}",
            # its own rate-limit counters: an earlier server's accepted posts from 127.0.0.1 (kept an hour in
            # the shared Redis) must not turn this one's first post into a 429
            "RATELIMIT_KEY_PREFIX": f"tp-{uuid.uuid4().hex[:8]}",
            "TOURPLANNER_INSTANCE": str(tmp / "instance"),
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(web_workers),
            "PYTHONUNBUFFERED": "1",
            "PROXY_FIX": "1",  # the tests stand in for a proxy: X-Forwarded-For names each simulated venue
            "PUBLIC_HOST": f"127.0.0.1:{self.port}",  # links in pages and mail lead back to this server
            **(extra_env or {}),
        }
        self.job_workers = job_workers
        self.processes: dict[str, subprocess.Popen] = {}

    def flask(self, *args: str, input_text: str | None = None) -> str:
        result = subprocess.run([str(BIN / "flask"), "--app", "tourplanner", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, input=input_text, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def python(self, code: str) -> str:
        """Run code in the app context of the production configuration; returns stdout."""
        script = "from tourplanner import create_app\nfrom tourplanner.extensions import db\napp = create_app()\n" \
                 "with app.app_context():\n" + "".join(f"    {line}\n" for line in code.splitlines())
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"script failed: {result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> "ProductionServer":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        (self.tmp / "instance").mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        self.start_worker()
        with open(self.tmp / "gunicorn.log", "w") as log:  # the child writes to its own copy of the file
            self.processes["web"] = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_healthy()
        return self

    def start_worker(self) -> subprocess.Popen:
        with open(self.tmp / "worker.log", "a") as log:  # the child writes to its own copy of the file
            worker = subprocess.Popen(
                [str(BIN / "flask"), "--app", "tourplanner", "worker", "--workers", str(self.job_workers)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes["worker"] = worker
        return worker

    def kill_worker(self) -> None:
        worker = self.processes.pop("worker")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    def wait_healthy(self, timeout: float = 90.0) -> dict:
        import json

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                status, _, body = http("GET", self.base + "/healthz", timeout=3)
                last = (status, body)
                if status == 200 and json.loads(body)["status"] == "ok":
                    return json.loads(body)
            except OSError as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"production server not healthy after {timeout} s: {last}; "
                           f"log: {(self.tmp / 'gunicorn.log').read_text()[-3000:]}")

    def stop(self) -> None:
        for name, process in list(self.processes.items()):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.processes.clear()
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def restart_postgres() -> None:
    """Restart the machine's PostgreSQL cluster (every connection drops)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=120)


def stop_redis() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=30)


def start_redis() -> None:
    subprocess.run(REDIS_RESTART, check=True, capture_output=True, timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", 6379)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("Redis did not come back")
