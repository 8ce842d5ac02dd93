"""Season data in and out: the demo season, the requests CSV, the optimizer instance."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Season


def find_season(name: str) -> Season:
    season = db.session.scalar(select(Season).where(Season.name == name))
    if season is None:
        names = ", ".join(db.session.scalars(select(Season.name).order_by(Season.name))) or "none"
        raise click.ClickException(f"no season named {name!r} (seasons: {names})")
    return season


@click.command("demo")
@click.option("--if-missing", is_flag=True, help="Do nothing when the demo season exists (for `make run`).")
@with_appcontext
def demo_command(if_missing: bool):
    """Load the demo season: about 300 requests from real US and Canadian towns, five teams."""
    from ..demo import DEMO_USER, load_demo

    try:
        season, created = load_demo(if_missing=if_missing)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if created:
        click.echo(f"loaded season {season.name}: {len(season.requests)} requests, {len(season.teams)} teams")
        click.echo(f"coordinator login: {DEMO_USER[0]} / {DEMO_USER[1]} (demo only)")
    else:
        click.echo(f"season {season.name} is loaded already")


@click.command("import-requests")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--season", "season_name", required=True, help="The season's name.")
@with_appcontext
def import_requests_command(file: Path, season_name: str):
    """Import a requests CSV (formats.md section 1): every row, or nothing when one is bad."""
    from ..requests_csv import CSVImportError, import_requests

    season = find_season(season_name)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc}") from exc
    try:
        created, updated = import_requests(text, season)
    except CSVImportError as exc:
        message = "\n".join(f"  {p}" for p in exc.problems)
        raise click.ClickException(f"nothing imported; {len(exc.problems)} problem(s):\n{message}") from exc
    click.echo(f"imported {created + updated} requests into {season.name} ({created} new, {updated} updated)")


@click.command("export-requests")
@click.option("--season", "season_name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@with_appcontext
def export_requests_command(season_name: str, output: Path | None):
    """Write a season's requests as CSV (formats.md section 1)."""
    from ..requests_csv import export_requests

    text = export_requests(find_season(season_name))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@click.command("export-instance")
@click.option("--season", "season_name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_instance_command(season_name: str, output: Path):
    """Write the optimizer instance JSON of a season (formats.md section 2)."""
    from ..planning import instance_dict

    data = instance_dict(find_season(season_name))
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {output}: {len(data['requests'])} requests, {len(data['teams'])} teams")
