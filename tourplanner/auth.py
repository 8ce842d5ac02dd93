"""Coordinator accounts: argon2 hashes, login throttling, sessions that die at logout or a password change."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from .extensions import db, limiter, login_manager
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)
hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# Verified when the email is unknown, so a wrong email takes as long as a wrong password.
UNKNOWN_USER_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """The password's check; for no user a dummy hash is verified, so timing does not tell which emails exist."""
    try:
        return hasher.verify(user.password_hash if user else UNKNOWN_USER_HASH, password) and user is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    """Store a new hash and rotate the session token, so every cookie issued before dies."""
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, name: str = "") -> User:
    """Create a coordinator account; the email is stored lower-case."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"not an email address: {email!r}")
    if db.session.scalar(select(User).where(User.email == email)):
        raise ValueError(f"a user with email {email} exists already")
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or not token or user.session_token != token:
        return None  # a deactivated coordinator's open session ends at the next request
    return user


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
    current_user.session_token = secrets.token_hex(16)  # kills every cookie of this user
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("public.home"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new = PasswordField("New password", validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                               message=f"A password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.")])
    repeat = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new", message="The two new passwords differ.")])


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


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in as a coordinator."
    app.register_blueprint(bp)
