"""Backup: a whole season moves between SQLite and PostgreSQL without loss."""

import json
import uuid

import pytest
from sqlalchemy import func, select

from tests.support.databases import DATABASE, drop_postgres, postgres_url
from tourplanner import create_app
from tourplanner.backup import BackupError, export_season, import_season
from tourplanner.extensions import db
from tourplanner.models import FeedToken, Request, Season, new_token


def comparable(data: dict) -> dict:
    """The backup without ids and edit-conflict counters (new rows start at version 1): what must survive."""
    out = {}
    for table, rows in data["tables"].items():
        out[table] = sorted(
            json.dumps({k: v for k, v in row.items() if k not in ("id", "version") and not k.endswith("_id")}, sort_keys=True)
            for row in rows
        )
    return out


def load_small_season(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    season = db.session.scalar(select(Season).where(Season.name == "demo"))
    request = season.requests[0]
    token, request.status_token_hash = new_token()
    feed_token, feed_hash = new_token()
    db.session.add(FeedToken(token_hash=feed_hash, kind="team", season=season, team=season.teams[0]))
    db.session.commit()
    return season


def test_season_round_trips_between_sqlite_and_postgresql(app, runner, tmp_path, monkeypatch):
    if DATABASE == "postgresql":
        pytest.skip("runs once, from the SQLite pass, against both databases")
    season = load_small_season(runner)
    path = tmp_path / "season.json"
    assert runner.invoke(args=["export-season", "--season", "demo", "-o", str(path)]).exit_code == 0
    original = comparable(json.loads(path.read_text()))
    assert len(original["request"]) == 300 and len(original["team_member"]) >= 15

    name = f"tp_backup_{uuid.uuid4().hex[:8]}"
    pg_app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": postgres_url(name)})
    try:
        with pg_app.app_context():
            db.create_all()
            result = pg_app.test_cli_runner().invoke(args=["import-season", str(path)])
            assert result.exit_code == 0, result.output
            moved = export_season(db.session.scalar(select(Season).where(Season.name == "demo")))
            for table in original:
                a, b = set(original[table]), set(comparable(moved)[table])
                assert a == b, (table, sorted(a - b)[:1], sorted(b - a)[:1])
            back = tmp_path / "back.json"
            back.write_text(json.dumps(moved))
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_postgres(name)
    result = runner.invoke(args=["import-season", str(back), "--rename", "demo-copy"])
    assert result.exit_code != 0 and "already has the backup's links" in result.output
    result = runner.invoke(args=["import-season", str(back), "--rename", "demo-copy", "--tokens", "revoke"])
    assert result.exit_code == 0, result.output
    copy = db.session.scalar(select(Season).where(Season.name == "demo-copy"))
    assert len(comparable(export_season(copy))["request"]) == 300


def test_revoking_tokens_on_import_kills_every_link(app, runner, tmp_path):
    season = load_small_season(runner)
    data = export_season(season)
    copy = import_season(data, keep_tokens=False, rename="moved")
    assert db.session.scalar(select(func.count()).select_from(Request).where(
        Request.season_id == copy.id, Request.status_token_hash.is_not(None))) == 0
    tokens = db.session.scalars(select(FeedToken).where(FeedToken.season_id == copy.id)).all()
    assert tokens and all(t.revoked_dt is not None for t in tokens)


def test_bad_backups_write_nothing(app, runner, tmp_path):
    season = load_small_season(runner)
    with pytest.raises(BackupError, match="exists already"):
        import_season(export_season(season))
    broken = export_season(season)
    broken["tables"]["request"][0]["venue_id"] = 999999
    with pytest.raises(BackupError, match="missing venue"):
        import_season(broken, rename="broken", keep_tokens=False)
    assert db.session.scalar(select(func.count()).select_from(Season)) == 1
    path = tmp_path / "x.json"
    path.write_text("{not json")
    result = runner.invoke(args=["import-season", str(path)])
    assert result.exit_code != 0 and "not a JSON season backup" in result.output
