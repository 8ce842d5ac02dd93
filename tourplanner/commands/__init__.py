"""flask --app tourplanner COMMAND: one module per area in this folder, registered from the list below."""

from __future__ import annotations

from flask import Flask

from . import accounts, backup, feeds, geo, plans, season

COMMANDS = [
    accounts.init_db_command, accounts.create_user_command, accounts.set_password_command,
    backup.export_season_command, backup.import_season_command,
    feeds.export_feed_command,
    geo.geocode_command, geo.geo_index_command,
    plans.plan_command, plans.publish_command, plans.export_plan_command, plans.worker_command,
    season.demo_command, season.import_requests_command, season.export_requests_command,
    season.export_instance_command,
]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
