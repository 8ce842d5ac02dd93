"""Load on the production mode: venues posting the public form, Nomads' phones fetching team feeds.

Run by bench/load.py (which starts the server and checks that no accepted post was lost)."""

import os
import random
import re
import uuid

from locust import FastHttpUser, HttpUser, between, constant_throughput, task

FEED_PATHS = [p for p in os.environ.get("LOAD_FEED_PATHS", "").split(",") if p]
SEASON_START = os.environ.get("LOAD_SEASON_START", "2027-02-01")
ACCEPTED_LOG = os.environ.get("LOAD_ACCEPTED_LOG", "/tmp/accepted.txt")
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Venue(HttpUser):
    """A teacher on a phone: opens the form, fills it in, sends it (one address per user, behind a proxy)."""

    weight = 50
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"

    @task
    def submit(self):
        headers = {"X-Forwarded-For": self.address}
        page = self.client.get("/request", headers=headers, name="GET /request")
        match = TOKEN_RE.search(page.text)
        cookie = re.search(r"session=[^;]+", page.headers.get("Set-Cookie", ""))
        if not match or not cookie:
            page.failure("no CSRF token or session cookie on the form") if hasattr(page, "failure") else None
            return
        key = uuid.uuid4().hex[:10]
        data = {
            "csrf_token": match.group(1), "venue_name": f"Load Test School {key}", "venue_type": "high_school",
            "contact_name": "Load Tester", "contact_email": f"load-{key}@example.org", "contact_phone": "",
            "country": "US", "region": "IL", "city": "Springfield", "postal_code": "62701", "street": "",
            "audience": "120", "duration_minutes": "90",
            "windows-0-first_date": SEASON_START, "windows-0-last_date": SEASON_START[:8] + "26",
            "windows-0-weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "windows-0-start_time": "09:00", "windows-0-end_time": "15:00", "blackouts": "", "notes": "",
            "website": "", "send": "1",
        }
        with self.client.post("/request", data=data, headers={**headers, "Cookie": cookie.group(0)},
                              name="POST /request", catch_response=True) as response:
            if response.status_code == 200 and "/r/" in response.text:
                with open(ACCEPTED_LOG, "a") as log:
                    log.write(f"load-{key}@example.org\n")
                response.success()
            else:
                response.failure(f"status {response.status_code}")
        self.address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Phone(FastHttpUser):
    """A Nomad's calendar app refreshing the team feed."""

    weight = int(os.environ.get("LOAD_PHONES", "20"))
    wait_time = constant_throughput(10)  # 10 fetches per second per phone user

    @task
    def feed(self):
        if FEED_PATHS:
            self.client.get(random.choice(FEED_PATHS), name="GET /feeds/[token].ics")
