"""Database and coordinator-account commands."""

import click
from flask.cli import with_appcontext


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or update the schema by running every migration (same as `flask db upgrade`)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("database ready")


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="Shown in the coordinator area.")
@click.password_option(help="At least 8 characters; asked for when not given.")
@with_appcontext
def create_user_command(email: str, name: str, password: str):
    """Create a coordinator account."""
    from ..accounts import create_user

    try:
        user = create_user(email, password, name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created coordinator {user.email}")


@click.command("set-password")
@click.argument("email")
@click.password_option(help="At least 8 characters; asked for when not given.")
@with_appcontext
def set_password_command(email: str, password: str):
    """Set a coordinator's password; every session they had is logged out."""
    from ..accounts import find_user, set_password
    from ..extensions import db

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no coordinator with email {email.strip().lower()}")
    try:
        set_password(user, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password changed for {user.email}; their old sessions are logged out")
