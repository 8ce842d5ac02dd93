"""`flask geocode QUERY...`: one JSON line per query, so results can be checked or piped."""

import json

import click
from flask.cli import with_appcontext


@click.command("geocode")
@click.argument("queries", nargs=-1, required=True)
@with_appcontext
def geocode_command(queries):
    """Geocode free-text queries ('Springfield, IL', 'H2X 1Y4', '85004', '45.5,-73.6')."""
    from ..extensions import db
    from ..geo import GeocodeError, locate
    from ..geo.geocoder import parse_query

    failed = 0
    for query in queries:
        line = {"query": query}
        try:
            place = locate(**parse_query(query))
        except GeocodeError as exc:
            failed += 1
            line["error"] = str(exc)
        else:
            line.update(lat=place.lat, lon=place.lon, precision=place.precision, tz=place.tz,
                        country=place.country, region=place.region, source=place.source, label=place.label)
        click.echo(json.dumps(line, ensure_ascii=False))
    db.session.commit()  # keeps answers cached from an online provider
    if failed:
        raise SystemExit(1)


@click.command("geo-index")
@click.option("--rebuild", is_flag=True, help="Build from the package data even if a current index exists.")
@with_appcontext
def geo_index_command(rebuild):
    """Build the offline geocoding index into the instance folder now (else the first geocode does)."""
    import time

    from ..geo.index import build_index, default_index_path, read_index, write_index

    path = default_index_path()
    started = time.perf_counter()
    if rebuild or read_index(path) is None:
        write_index(build_index(), path)
        click.echo(f"built {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    else:
        click.echo(f"{path} is current ({path.stat().st_size / 1e6:.1f} MB)")
