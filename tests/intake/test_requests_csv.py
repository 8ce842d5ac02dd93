"""The requests CSV (formats.md section 1): a bad row writes nothing and is named; good files round-trip."""

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.support.accounts import as_coordinator
from tourplanner.extensions import db
from tourplanner.models import AvailabilityWindow, Request, Venue
from tourplanner.requests_csv import CSVImportError, export_requests, import_requests, parse_window

HEADER = ("ref,venue_name,venue_type,contact_name,contact_email,contact_phone,street,city,region,postal_code,"
          "country,latitude,longitude,audience,duration_minutes,priority,windows,notes\n")
GOOD = HEADER + (
    'A1,Lincoln High School,high_school,Ann Lee,ann@example.org,\'+1 217 555 0100,,Springfield,IL,,US,,,300,90,3,'
    '"2027-02-01..2027-02-26 mon,tue,wed,thu,fri 09:00-15:00;2027-03-03 09:00-12:00",Projector on site\n'
    'A2,Église Saint-Jean,church,Luc Roy,luc@example.org,,,Montréal,QC,,CA,45.5017,-73.5673,120,,5,'
    '2027-02-07..2027-04-18 sun 09:00-13:00,"Parking, rear lot"\n'
    'A3,Phoenix Community Center,community,,info@example.org,,,,,85004,US,,,50,60,2,'
    '2027-02-02..2027-02-28 09:00-17:00,\n'
)


@pytest.fixture
def season(make_season):
    return make_season(name="spring-2027")


def count_requests():
    return db.session.scalar(select(func.count()).select_from(Request))


def test_good_file_round_trips_unchanged(season):
    created, updated = import_requests(GOOD, season)
    assert (created, updated) == (3, 0)
    assert export_requests(season) == GOOD


def test_import_writes_the_rows_users_would_check(season):
    import_requests(GOOD, season)
    a1 = db.session.scalar(select(Request).where(Request.ref == "A1"))
    assert a1.status == "approved" and a1.audience == 300 and a1.venue.tz == "America/Chicago"
    assert [(w.first_date, w.weekdays, w.start_time) for w in a1.windows] == [
        (dt.date(2027, 2, 1), "mon,tue,wed,thu,fri", dt.time(9, 0)),
        (dt.date(2027, 3, 3), "mon,tue,wed,thu,fri,sat,sun", dt.time(9, 0)),
    ]
    a2 = db.session.scalar(select(Request).where(Request.ref == "A2"))
    assert (a2.venue.lat, a2.venue.geocode_precision, a2.venue.tz) == (45.5017, "given", "America/Toronto")
    a3 = db.session.scalar(select(Request).where(Request.ref == "A3"))
    assert a3.venue.geocode_precision == "zip" and a3.venue.tz == "America/Phoenix"
    assert abs(a3.venue.lat - 33.45) < 0.2


def test_one_bad_row_writes_nothing_and_names_row_and_column(season):
    bad = GOOD + "A4,Bad School,high_school,,not-an-email,,,Springfield,IL,,US,,,50,,3,2027-02-03 09:00-15:00,\n"
    with pytest.raises(CSVImportError) as caught:
        import_requests(bad, season)
    assert any(p.startswith("row 5, column contact_email") for p in caught.value.problems)
    assert count_requests() == 0


@pytest.mark.parametrize(
    "row, expected",
    [
        ("A9,X,stadium,,a@example.org,,,Springfield,IL,,US,,,,,,2027-02-03 09:00-15:00,", "row 2, column venue_type"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,MX,,,,,,2027-02-03 09:00-15:00,", "row 2, column country"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,US,,,lots,,,2027-02-03 09:00-15:00,", "row 2, column audience"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,US,,,,,9,2027-02-03 09:00-15:00,", "row 2, column priority"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,US,,,,,,2027-02-03 15:00-09:00,", "item '2027-02-03 15:00-09:00'"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,US,,,,,,\"2027-02-01..2027-02-05 mon,fun 09:00-15:00\",", "unknown weekday 'fun'"),
        ("A9,X,college,,a@example.org,,,Springfield,IL,,US,,,,,,2026-09-01 09:00-15:00,", "outside the season"),
        ("A9,X,college,,a@example.org,,,,,,US,,,,,,2027-02-03 09:00-15:00,", "city and region, or postal_code"),
        ("A9,X,college,,a@example.org,,,Nowhereville,ZZ,,US,,,,,,2027-02-03 09:00-15:00,", "cannot place the venue"),
    ],
)
def test_each_kind_of_bad_cell_is_named(season, row, expected):
    with pytest.raises(CSVImportError) as caught:
        import_requests(HEADER + row + "\n", season)
    assert expected in str(caught.value)
    assert count_requests() == 0


def test_unknown_column_is_an_error_that_names_it(season):
    with pytest.raises(CSVImportError, match="unknown column 'audiance'"):
        import_requests(HEADER.replace("audience", "audiance") + "\n", season)


def test_repeated_ref_is_an_error(season):
    row = "A1,X,college,,a@example.org,,,Springfield,IL,,US,,,,,,2027-02-03 09:00-15:00,\n"
    with pytest.raises(CSVImportError, match="repeats row 2"):
        import_requests(HEADER + row + row, season)


def test_reimport_updates_by_ref_and_keeps_a_coordinator_correction(season):
    import_requests(GOOD, season)
    venue = db.session.scalar(select(Venue).where(Venue.name == "Lincoln High School"))
    venue.lat, venue.lon, venue.location_corrected, venue.geocode_source = 39.80, -89.64, True, "coordinator"
    db.session.commit()
    created, updated = import_requests(GOOD.replace(",300,90,3,", ",350,90,3,"), season)
    assert (created, updated) == (0, 3)
    request = db.session.scalar(select(Request).where(Request.ref == "A1"))
    assert request.audience == 350
    assert (request.venue.lat, request.venue.lon) == (39.80, -89.64)
    assert count_requests() == 3


def test_export_cuts_blackout_days_out_of_ranges(season, make_request):
    from tourplanner.models import BlackoutDate

    request = make_request(season=season, ref="B1", windows=[AvailabilityWindow(
        first_date=dt.date(2027, 2, 1), last_date=dt.date(2027, 2, 12), weekdays="mon,tue,wed,thu,fri",
        start_time=dt.time(9), end_time=dt.time(15))])
    request.blackouts = [BlackoutDate(day=dt.date(2027, 2, 5))]
    db.session.commit()
    line = export_requests(season).splitlines()[1]
    assert '"2027-02-01..2027-02-04 mon,tue,wed,thu,fri 09:00-15:00;2027-02-06..2027-02-12 mon,tue,wed,thu,fri 09:00-15:00"' in line


def test_window_items_parse_single_days_and_ranges():
    single = parse_window("2027-02-03 09:00-15:00")
    assert (single.first_date, single.last_date, single.start_time, single.end_time) == (
        dt.date(2027, 2, 3), dt.date(2027, 2, 3), dt.time(9), dt.time(15))
    ranged = parse_window("2027-02-01..2027-02-26 fri,mon 09:00-15:00")
    assert ranged.weekdays == "mon,fri"


def test_cli_import_names_the_bad_row_and_writes_nothing(runner, season, tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text(GOOD + "A4,Bad,high_school,,x@example.org,,,Springfield,IL,,US,,,50,,3,someday,\n", encoding="utf-8")
    result = runner.invoke(args=["import-requests", str(path), "--season", "spring-2027"])
    assert result.exit_code != 0
    assert "nothing imported" in result.output and "row 5, column windows, item 'someday'" in result.output
    assert count_requests() == 0
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["import-requests", str(path), "--season", "spring-2027"])
    assert result.exit_code == 0 and "3 new" in result.output
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["export-requests", "--season", "spring-2027", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == GOOD
    assert "no season named 'fall'" in runner.invoke(args=["import-requests", str(path), "--season", "fall"]).output


def test_demo_season_has_realistic_windows_per_venue_type(runner):
    result = runner.invoke(args=["demo", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "300 requests, 5 teams" in result.output
    requests = db.session.scalars(select(Request)).all()
    assert len(requests) == 300
    assert {r.venue.country for r in requests} == {"US", "CA"}
    for request in requests:
        kind = request.venue.type
        for window in request.windows:
            if kind == "high_school":
                assert window.weekdays == "mon,tue,wed,thu,fri" and window.start_time >= dt.time(8)
                assert window.end_time <= dt.time(15, 30)
            elif kind == "college":
                assert window.start_time >= dt.time(17)
            elif kind == "church":
                assert window.weekdays in ("sun", "wed")
    assert "already" in runner.invoke(args=["demo", "--if-missing"]).output


def coordinator(client):
    from tourplanner.accounts import create_user

    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})


def test_upload_with_a_bad_row_lists_it_and_writes_nothing(client, season):
    import io

    as_coordinator(client)
    bad = GOOD + "A4,Bad,high_school,,x@example.org,,,Springfield,IL,,US,,,50,,3,someday,\n"
    response = client.post("/admin/seasons/spring-2027/import",
                           data={"file": (io.BytesIO(bad.encode()), "requests.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported." in page and "row 5, column windows, item &#39;someday&#39;" in page
    assert count_requests() == 0
    response = client.post("/admin/seasons/spring-2027/import",
                           data={"file": (io.BytesIO(b"\xff\xfe\x00garbage"), "requests.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "not UTF-8" in response.get_data(as_text=True)
    response = client.post("/admin/seasons/spring-2027/import",
                           data={"file": (io.BytesIO(GOOD.encode()), "requests.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and count_requests() == 3
    download = client.get("/admin/seasons/spring-2027/export/requests.csv")
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.get_data(as_text=True) == GOOD


# A lone CR is left out here: Python's csv writer does not quote it with a "\n" line end, and no form can store one.
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "'=already marked"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_starts_like_a_formula_is_exported_marked_and_imported_unchanged(season, make_request, text):
    """Issue 16.5: a spreadsheet opening requests.csv shows the text; the import strips the mark (round trip)."""
    make_request(season=season, ref="F1", venue_name=text, contact_name=text, notes=text)
    exported = export_requests(season)
    row = next(csv.DictReader(io.StringIO(exported, newline="")))
    assert (row["venue_name"], row["contact_name"], row["notes"]) == ("'" + text,) * 3
    assert row["longitude"] in ("", "-89.6501")  # a plain negative number is not a formula
    import_requests(exported, season)
    db.session.expire_all()
    request = db.session.scalar(select(Request).where(Request.ref == "F1"))
    assert (request.venue.name, request.contact_name, request.notes) == (text, text, text)
    assert export_requests(season) == exported


def test_a_quote_that_starts_ordinary_text_is_kept(season):
    from tourplanner.spreadsheet import from_cell, to_cell

    assert [to_cell(t) for t in ("'Twas", "-73.5673", "A-1", "\rcmd")] == ["'Twas", "-73.5673", "A-1", "'\rcmd"]
    assert [from_cell(t) for t in ("'Twas", "'-x")] == ["'Twas", "-x"]


def test_an_upload_above_the_stated_size_is_refused_before_any_work(client, season):
    """Issue 16.9: a 2 MB upload held the request for 14 s; above MAX_UPLOAD_BYTES the page says to split it."""
    from tourplanner.requests_csv import MAX_UPLOAD_BYTES

    as_coordinator(client)
    row = 'A{},Lincoln High School,high_school,Ann Lee,ann@example.org,,,Springfield,IL,,US,39.78,-89.65,300,90,3,2027-02-01..2027-02-26 09:00-15:00,\n'
    big, i = HEADER, 0
    while len(big.encode()) <= MAX_UPLOAD_BYTES:
        big += row.format(i)
        i += 1
    # encoded here, in memory: the test client would spool a body this big to a temporary file it never closes
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big.encode()), "big.csv")})
    response = client.post("/admin/seasons/spring-2027/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "larger than 512 KB" in page and "flask import-requests" in page
    assert count_requests() == 0
