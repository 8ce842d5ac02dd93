"""Coordinator accounts: argon2 hashes, timing that does not tell which emails exist, sessions that end."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select

from .extensions import db
from .models import User

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
    end_sessions(user)


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


def load_user(user_id: str) -> User | None:
    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or not token or user.session_token != token:
        return None  # a deactivated coordinator's open session ends at the next request
    return user


def end_sessions(user: User) -> None:
    """A new session token: every cookie issued to this user before stops working (logout, password change)."""
    user.session_token = secrets.token_hex(16)
