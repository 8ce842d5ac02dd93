"""`python -m tourplanner.optimize` solves an instance file and checks a plan file."""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
INSTANCE = {
    "name": "cli", "start_date": "2027-02-01", "days": 7,
    "rules": {"day_start": "07:00", "day_end": "22:00", "max_drive_minutes_per_day": 480, "days_off": ["sun"],
              "max_events_per_day": 2, "setup_minutes": 30, "teardown_minutes": 15,
              "default_duration_minutes": 90, "border_crossing_minutes": 60, "holidays": True},
    "teams": [{"id": "a", "name": "A", "start": {"lat": 41.8781, "lon": -87.6298, "tz": "America/Chicago"},
               "end": None}],
    "requests": [{"id": "r1", "name": "Lincoln High", "type": "high_school", "lat": 41.8781, "lon": -87.6298,
                  "tz": "America/Chicago", "country": "US", "region": "IL", "audience": 300,
                  "duration_minutes": 90, "priority": 3,
                  "windows": [{"start": "2027-02-03T09:00", "end": "2027-02-03T15:00"}],
                  "team": None, "fixed_start": None}],
}


def run(*args):
    return subprocess.run([sys.executable, "-m", "tourplanner.optimize", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_solves_then_checks(tmp_path):
    inst, out = tmp_path / "instance.json", tmp_path / "plan.json"
    inst.write_text(json.dumps(INSTANCE))
    done = run(str(inst), "--time-limit", "1", "--seed", "1", "--steps", "5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "served 1 of 1 requests, audience 300" in done.stderr
    assert "served     1" in done.stderr  # a progress line
    plan = json.loads(out.read_text())
    assert plan["routes"][0]["visits"][0]["start"] == "2027-02-03T09:30:00-06:00"
    assert "repaired" not in plan["solver"] and "warning" not in done.stderr  # the safety net did not fire
    ok = run("check", str(inst), str(out))
    assert (ok.returncode, ok.stdout.strip()) == (0, "0 violation(s)")
    plan["routes"][0]["visits"][0]["start"] = "2027-02-03T16:30:00-06:00"
    plan["routes"][0]["visits"][0]["end"] = "2027-02-03T18:00:00-06:00"
    out.write_text(json.dumps(plan))
    bad = run("check", str(inst), str(out))
    assert bad.returncode == 1
    assert "window: r1: 2027-02-03 16:00-18:15 local (with setup and teardown) is not inside any of its windows" in bad.stdout


def test_cli_replans_from_a_previous_plan_and_keeps_it(tmp_path):
    inst, first, again = tmp_path / "instance.json", tmp_path / "v1.json", tmp_path / "v2.json"
    instance = json.loads(json.dumps(INSTANCE))
    instance["requests"][0]["priority"] = 5  # an earlier priority-5 visit: the kind re-plans used to drop
    instance["teams"].append(dict(instance["teams"][0], id="b", name="B"))  # ... when another team was free
    inst.write_text(json.dumps(instance))
    assert run(str(inst), "--time-limit", "1", "--seed", "1", "--steps", "5", "-o", str(first)).returncode == 0
    new = dict(instance["requests"][0], id="r2", priority=5, audience=40)  # a new must-serve request nearby
    new["windows"] = [{"start": "2027-02-03T09:00", "end": "2027-02-04T15:00"}]
    instance["requests"].append(new)
    inst.write_text(json.dumps(instance))
    done = run(str(inst), "--time-limit", "2", "--seed", "1", "--steps", "20", "--previous", str(first),
               "-o", str(again))
    assert done.returncode == 0, done.stderr
    assert "re-plan: 1 earlier visits kept, 0 moved, 0 dropped, 0 no longer requested" in done.stderr
    plan = json.loads(again.read_text())
    visits = {v["request"]: (route["team"], v["start"]) for route in plan["routes"] for v in route["visits"]}
    assert visits["r1"] == ("a", "2027-02-03T09:30:00-06:00") and set(visits) == {"r1", "r2"}
    assert "repaired" not in plan["solver"] and "warning" not in done.stderr


def test_cli_bad_instance_names_the_request(tmp_path):
    broken = json.loads(json.dumps(INSTANCE))
    broken["requests"][0]["tz"] = "Nowhere/Land"
    inst = tmp_path / "instance.json"
    inst.write_text(json.dumps(broken))
    done = run(str(inst), "--time-limit", "1")
    assert done.returncode == 2
    assert "request r1: unknown time zone 'Nowhere/Land'" in done.stderr


def test_cli_bound_prints_the_ceiling(tmp_path):
    two = json.loads(json.dumps(INSTANCE))
    two["requests"].append(dict(two["requests"][0], id="r2", audience=120))
    two["requests"].append(dict(two["requests"][0], id="r3", audience=80, windows=[]))  # never possible
    inst = tmp_path / "instance.json"
    inst.write_text(json.dumps(two))
    done = run("bound", str(inst))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("at most 2 of 3 requests and 420 people (6 team-days, 1 pairs")
    assert "drives between days in, over 1 clusters of places" in done.stdout
    inst.write_text("{")
    assert run("bound", str(inst)).returncode != 0
