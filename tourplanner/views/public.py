"""Public pages: what the tour is, and the way in for venues."""

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    return render_template("home.html")
