"""Coordinator login (throttled), logout and password change; the accounts themselves are in accounts.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import check_password, end_sessions, find_user, load_user, set_password
from ..extensions import db, limiter, login_manager
from ..forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)
login_manager.user_loader(load_user)
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in as a coordinator."


def safe_next(target: str | None) -> str:
    """Only same-site paths may follow a login: no open redirect through next=."""
    if not target or any(not c.isprintable() for c in target):  # CR/LF would break the Location header
        return url_for("admin.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=lambda: request.remote_addr or "?")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user is not None and not user.active:
            user = None  # a deactivated account answers exactly like an unknown email
        if check_password(user, form.password.data):
            session.clear()  # a new session at login
            login_user(user)
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
        flash("Email or password is wrong.", "error")
    return render_template("login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_sessions(current_user)  # kills every cookie of this user
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("public.home"))


@bp.route("/admin/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], key_func=lambda: request.remote_addr or "?")
def change_password():
    """A new password ends every other session of this coordinator; this one gets a fresh cookie."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password(current_user, form.current.data):
            form.current.errors.append("The current password is wrong.")
        else:
            user = current_user._get_current_object()
            set_password(user, form.new.data)
            db.session.commit()
            session.clear()
            login_user(user)
            session.permanent = True
            flash("Password changed. Other devices are logged out.", "ok")
            return redirect(url_for("admin.index"))
    return render_template("password.html", form=form)
