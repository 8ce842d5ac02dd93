"""Blueprints: one module per area in this folder, each with a `bp`, registered from the list below.

A save from a page someone else has saved over since (EditConflict, from any area) gets one 409 page here.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from ..conflicts import EditConflict
from ..extensions import db
from . import admin, auth, feeds, health, intake, intake_admin, maps, nomads, planner, public, review, tour, ui

# In this order (a URL two blueprints claim goes to the first).
BLUEPRINTS = [auth.bp, admin.bp, feeds.bp, health.bp, intake.bp, intake_admin.bp, maps.bp, nomads.bp, planner.bp, public.bp,
              review.bp, tour.bp, ui.bp]


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(EditConflict, edit_conflict)


def edit_conflict(error: EditConflict):
    """Nothing was saved; the page says so and links back to where the coordinator can reload and redo it."""
    db.session.rollback()
    return render_template("conflict.html", message=f"Not saved: {error}.", back=reload_link()), 409


def reload_link() -> str:
    """The page the form came from: the referrer, else the URL itself or the page it belongs to (a POST-only
    action's URL minus its last part, e.g. a request's page for its /edit), else the admin start page."""
    if request.referrer:
        return request.referrer
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for candidate in (request.path, request.path.rsplit("/", 1)[0]):
        try:
            adapter.match(candidate, method="GET")
        except (HTTPException, RoutingException):  # no page there (or only a redirect to one)
            continue
        return request.script_root + candidate
    return url_for("admin.index")
