"""Back up a whole season, or move it between databases."""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from .season import find_season


@click.command("export-season")
@click.option("--season", "season_name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_season_command(season_name: str, output: Path):
    """Write every row of a season (requests, teams, plans, link tokens as hashes) to a JSON file."""
    from ..backup import export_season

    data = export_season(find_season(season_name))
    output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in data["tables"].items() if rows)
    click.echo(f"wrote {output}: {counts}")


@click.command("import-season")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tokens", type=click.Choice(["keep", "revoke"]), default="keep", show_default=True,
              help="keep: venue and feed links go on working; revoke: everyone needs a new link.")
@click.option("--rename", default=None, help="Import under another season name.")
@with_appcontext
def import_season_command(file: Path, tokens: str, rename: str | None):
    """Recreate a season from export-season's file, in this database (nothing written on error)."""
    from ..backup import BackupError, import_season

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file} is not a JSON season backup: {exc}") from exc
    try:
        season = import_season(data, keep_tokens=tokens == "keep", rename=rename)
    except BackupError as exc:
        raise click.ClickException(f"nothing imported: {exc}") from exc
    click.echo(f"imported season {season.name}: {len(season.requests)} requests, {len(season.plans)} plans")
