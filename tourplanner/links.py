"""Absolute links to our own pages, always on PUBLIC_HOST: what pages, feeds and emails give out.

Never built from the Host or X-Forwarded-Host a client sent (an attacker's host in a venue's email), and
usable outside a request (a feed built for the cache, an email sent by a worker).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app


def public_url(host: str, path: str) -> str:
    """https on the public host; plain http only for a development host (localhost, 127.0.0.1)."""
    scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
    return f"{scheme}://{host}{path}"


def public_link(endpoint: str, *, host: str | None = None, **values) -> str:
    """The absolute URL of one of our pages on the public host (PUBLIC_HOST unless given)."""
    host = host or current_app.config["PUBLIC_HOST"]
    return public_url(host, current_app.url_map.bind(host).build(endpoint, values))


def subscribe_links(token: str, name: str) -> dict:
    """The ways to subscribe to a feed: https URL, webcal://, Google's From URL, Outlook's add-from-web link,
    and the Nomads' today page of the same link."""
    https = public_link("feeds.feed", token=token)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {
        "https": https,
        "webcal": webcal,
        "today": public_link("nomads.today", token=token),
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        "outlook": ("https://outlook.live.com/calendar/0/addfromweb?url=" + quote(https, safe="")
                    + "&name=" + quote(name, safe="")),
    }
