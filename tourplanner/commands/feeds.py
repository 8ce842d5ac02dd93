"""Calendar feed export: the same bytes the feed URL serves, written to a file."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select


@click.command("export-feed")
@click.option("--season", "season_name", required=True, help="Season name.")
@click.option("--team", "team_slug", default=None, help="A team's feed, by its slug (or its number).")
@click.option("--venue", "venue_ref", default=None, help="A venue's one event, by its request ref.")
@click.option("--all", "all_teams", is_flag=True, help="The coordinators' feed of every team.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write.")
@with_appcontext
def export_feed_command(season_name, team_slug, venue_ref, all_teams, output):
    """Write a team's, a venue's or all teams' calendar feed to FILE.ics."""
    from ..extensions import db
    from ..feeds import export
    from ..models import Request, Season, Team, now_utc

    if sum(bool(x) for x in (team_slug, venue_ref, all_teams)) != 1:
        raise click.UsageError("give exactly one of --team SLUG, --venue REF or --all")
    season = db.session.scalar(select(Season).where(Season.name == season_name))
    if season is None:
        raise click.ClickException(f"no season named {season_name!r}")
    team = request = None
    if team_slug:
        team = db.session.scalar(select(Team).where(Team.season_id == season.id, Team.slug == team_slug))
        if team is None and team_slug.isdigit():  # a team's number works too
            team = db.session.scalar(select(Team).where(Team.season_id == season.id, Team.id == int(team_slug)))
        if team is None:
            slugs = ", ".join(t.slug for t in season.teams) or "none"
            raise click.ClickException(f"season {season.name} has no team {team_slug!r} (teams: {slugs})")
    if venue_ref:
        request = db.session.scalar(select(Request).where(Request.season_id == season.id, Request.ref == venue_ref))
        if request is None:
            raise click.ClickException(f"season {season.name} has no request {venue_ref!r}")
    feed = export(season, host=current_app.config["PUBLIC_HOST"], now=now_utc(), team=team, request=request)
    path = Path(output)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(feed.body)  # nothing half-written: the file appears whole or not at all
    tmp.replace(path)
    click.echo(f"wrote {path} ({feed.body.count(b'BEGIN:VEVENT')} events, {len(feed.body)} bytes)")
