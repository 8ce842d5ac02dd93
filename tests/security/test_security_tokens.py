"""security.md items 6, 8 and 14 across every secret-link route: same 404, private headers, no token in any log,
no integer ids in public URLs, and the security headers on every kind of page."""

import logging
import re
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.routing import IntegerConverter

from tests.support.apps import production_app
from tests.support.tour import make_tour
from tourplanner import feeds
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import FeedToken, hash_token, new_token, now_utc

DAY = "2027-02-23"


@pytest.fixture
def links(app):
    """A published tour with a live team feed, a revoked one, and a venue's private link."""
    feeds.clear_cache()
    tour = make_tour()
    team = feeds.issue_token(tour["season"], "team", team=tour["teams"]["west"], now=now_utc())
    revoked = feeds.issue_token(tour["season"], "team", team=tour["teams"]["east"], now=now_utc())
    db.session.get(FeedToken, db.session.query(FeedToken.id).filter_by(token_hash=hash_token(revoked)).scalar()) \
        .revoked_dt = now_utc()
    venue, venue_hash = new_token()
    tour["visits"][0].request.status_token_hash = venue_hash
    db.session.commit()
    return {"team": team, "revoked": revoked, "venue": venue, "tour": tour}


def token_urls(links) -> list[str]:
    """Every GET route that a secret link opens, filled with a live token."""
    feed, venue = links["team"], links["venue"]
    return [f"/r/{venue}", f"/r/{venue}/event.ics", f"/feeds/{feed}.ics", f"/feeds/{feed}/map",
            f"/feeds/{feed}/days/{DAY}/map", f"/feeds/{feed}", f"/feeds/{feed}/days/{DAY}"]


def one_changed(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_token_routes_cover_every_public_rule_with_a_token(app, links):
    """If a new /r/ or /feeds/ page appears, this list (and the tests below) must learn about it."""
    rules = {r.rule for r in app.url_map.iter_rules() if "<token>" in r.rule and "GET" in (r.methods or ())}
    assert rules == {"/r/<token>", "/r/<token>/event.ics", "/feeds/<token>.ics", "/feeds/<token>/map",
                     "/feeds/<token>/days/<day>/map", "/feeds/<token>", "/feeds/<token>/days/<day>"}


def test_tokens_are_256_bit_urlsafe_and_only_their_sha256_is_stored(app, links):
    for token in (links["team"], links["venue"]):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32)
    stored = {row.token_hash for row in db.session.query(FeedToken)} | {links["tour"]["visits"][0].request.status_token_hash}
    assert hash_token(links["team"]) in stored and hash_token(links["venue"]) in stored
    dump = "\n".join(str(v) for row in db.session.query(FeedToken) for v in vars(row).values())
    assert links["team"] not in dump and links["revoked"] not in dump


def test_changed_revoked_malformed_and_unknown_tokens_get_the_same_404_everywhere(client, links):
    for url in token_urls(links):
        live = links["venue"] if url.startswith("/r/") else links["team"]
        assert client.get(url).status_code == 200, url
        bodies = set()
        wrong = [one_changed(live), "x" * 43, "short", "%00" + live[3:], live + "A"]
        if url.startswith("/feeds/"):
            wrong.append(links["revoked"])
        for bad in wrong:
            response = client.get(url.replace(live, bad))
            assert response.status_code == 404, (url, bad)
            bodies.add(response.get_data(as_text=True).replace(bad, "TOKEN"))
        assert len(bodies) == 1, f"{url}: the 404s differ, so they tell one kind of wrong link from another"


@pytest.mark.parametrize("live", [True, False], ids=["live", "wrong"])
def test_token_pages_keep_out_of_caches_indexes_and_referers(client, links, live):
    """Item 8. The subscribed .ics feed alone says `private, no-cache` instead of `no-store` (documented in
    views/feeds.py: calendar apps revalidate with ETags); shared caches still may not keep it."""
    for url in token_urls(links):
        if not live:
            url = url.replace(links["venue"], one_changed(links["venue"])).replace(links["team"], one_changed(links["team"]))
        headers = client.get(url).headers
        assert headers["Referrer-Policy"] == "same-origin", url
        assert headers["X-Robots-Tag"] == "noindex", url
        cache = {part.strip() for part in headers["Cache-Control"].split(",")}
        if url.endswith(".ics") and url.startswith("/feeds/"):
            assert {"private", "no-cache"} <= cache, url
        else:
            assert "no-store" in cache, url


def test_no_public_url_carries_an_integer_id(app, client, links):
    public = [r for r in app.url_map.iter_rules() if not r.rule.startswith("/admin")]
    for rule in public:
        assert not any(isinstance(c, IntegerConverter) for c in rule._converters.values()), rule.rule
        assert not any(arg == "id" or arg.endswith("_id") for arg in rule.arguments), rule.rule
    pages = ["/", "/request", *[u for u in token_urls(links) if not u.endswith(".ics")]]
    for url in pages:
        body = client.get(url).get_data(as_text=True)
        for link in re.findall(r'(?:href|action|src)="([^"]*)"', body):
            assert not re.search(r"[?&][a-z_]*id=\d+", link), (url, link)
            if link.startswith("/") and not link.startswith("/admin"):
                assert not re.search(r"/\d+(?:/|$)", link.split("?")[0]), (url, link)


def test_no_token_reaches_any_log_through_a_real_server(app, links, caplog):
    """Item 8: GETs and POSTs on every secret link, good and bad, through werkzeug's logged server."""
    from werkzeug.serving import make_server

    app.config["SHOW_ERROR_PAGE"] = True
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    venue, feed = links["venue"], links["team"]
    urls = [*token_urls(links), f"/feeds/{one_changed(feed)}.ics", f"/r/{one_changed(venue)}",
            f"/feeds/{links['revoked']}/map", f"/r/{venue}?next=x", f"/feeds/{feed}.ics?t=1"]
    posts = [f"/r/{venue}/confirm", f"/r/{venue}/another-date", f"/r/{one_changed(venue)}/cancel"]
    try:
        with caplog.at_level(logging.DEBUG):
            for path in urls + posts:
                data = b"message=x" if path in posts else None
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", data=data, timeout=20).read()
                except urllib.error.HTTPError:
                    pass
    finally:
        server.shutdown()
        thread.join(5)
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "/r/[token]" in text and "/feeds/[token]" in text  # the requests were logged, redacted
    for token in (venue, feed, links["revoked"], one_changed(venue), one_changed(feed)):
        assert token not in text and token[:20] not in text


PAGE_KINDS = {
    "public": "/", "form": "/request", "login": "/login", "admin": "/admin/", "planner": "/admin/seasons/spring-2027/setup",
    "review": "/admin/seasons/spring-2027/review", "coordinator map": "/admin/seasons/spring-2027/map",
    "feeds admin": "/admin/seasons/spring-2027/feeds", "health": "/healthz", "static": "/static/site.css",
    "not found": "/no-such-page", "json": "/admin/seasons/spring-2027/export/plan.json",
}


def test_every_kind_of_page_sends_hsts_nosniff_and_a_csp_that_forbids_objects_bases_and_framing(app, client, links):
    """Item 14: every page type, map pages included (they set their own policy, which must keep these three)."""
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    urls = {**PAGE_KINDS, **{f"token {u.split('/')[1]} {u.rsplit('/', 1)[-1][-8:]}": u for u in token_urls(links)}}
    for kind, url in urls.items():
        response = client.get(url)
        assert response.status_code in (200, 404), (kind, url, response.status_code)
        headers = response.headers
        assert headers["Strict-Transport-Security"].startswith("max-age=") and \
            int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15552000, kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        csp = {d.strip().split(" ", 1)[0]: d.strip() for d in headers["Content-Security-Policy"].split(";") if d.strip()}
        assert csp["object-src"] == "object-src 'none'", kind
        assert csp["base-uri"] == "base-uri 'none'", kind
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", kind
        script = csp.get("script-src", csp.get("default-src", ""))
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script.split(), kind


def test_production_runs_without_debug_and_its_500_page_has_no_traceback(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # even when someone leaves debug on in the shell
    prod = production_app(app_config, tmp_path, monkeypatch)
    assert prod.debug is False

    @prod.route("/boom")
    def boom():
        raise RuntimeError("secret internals at /srv/tour")

    response = prod.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in page and "Traceback" not in page and "werkzeug" not in page.lower()
    assert "Content-Security-Policy" in response.headers
