"""Calibrate the default travel model (optimize/travel.py) against road figures between city pairs.

    .venv/bin/python bench/travel_calibration.py [--sgb FILE]

Two sources, because neither alone is both citable and current:

- SGB_1949 (citable, km only): highway mileages between 128 US and Canadian cities from the Rand
  McNally road atlas of 1949, as published in D. E. Knuth, "The Stanford GraphBase" (1993), file
  `miles.dat` (also shipped in networkx's source distribution as examples/drawing/knuth_miles.txt.gz).
  The 46 pairs below were drawn from it at random in three distance bands (80-300, 300-600, 600-1000
  km of road; numpy seed 7) plus six with a Canadian end; coordinates are the file's own. `--sgb FILE`
  uses all 8,128 pairs of that file instead. 1949 roads predate the Interstates, so their circuity is an
  upper bound for today's.
- MODERN (current, km and minutes, not citable): the distance and time Google Maps shows for the
  fastest route between two downtowns with no traffic, written down from memory of those published
  figures (this machine has no web access), rounded to 5 km / 5 minutes: treat each as +-5%. They are
  the only source of driving *times* here. Cross-border times exclude the border queue (the model adds
  border_minutes separately).

Circuity is fitted on both sources together (the mean of the two km MAPEs), then the cruise speed on the
MODERN times. Prints every pair with the model's error and the mean absolute percentage errors (MAPE).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tourplanner.geo import locate  # noqa: E402
from tourplanner.optimize import travel  # noqa: E402

# (from, to, road km, driving minutes)  source per row: Google Maps fastest route, no traffic.
MODERN = [
    (("US", "NY", "New York"), ("US", "MA", "Boston"), 346, 220),  # I-95/I-84/I-90
    (("US", "NY", "New York"), ("US", "PA", "Philadelphia"), 153, 105),  # NJ Turnpike
    (("US", "NY", "New York"), ("US", "DC", "Washington"), 364, 230),  # I-95
    (("US", "IL", "Chicago"), ("US", "WI", "Milwaukee"), 148, 90),  # I-94
    (("US", "IL", "Chicago"), ("US", "MI", "Detroit"), 455, 260),  # I-94
    (("US", "IL", "Chicago"), ("US", "IN", "Indianapolis"), 295, 170),  # I-65
    (("US", "IL", "Chicago"), ("US", "MO", "St. Louis"), 478, 270),  # I-55
    (("US", "IL", "Chicago"), ("US", "MN", "Minneapolis"), 657, 370),  # I-94
    (("US", "CA", "Los Angeles"), ("US", "CA", "San Diego"), 193, 120),  # I-5
    (("US", "CA", "Los Angeles"), ("US", "NV", "Las Vegas"), 435, 240),  # I-15
    (("US", "CA", "Los Angeles"), ("US", "CA", "San Francisco"), 615, 350),  # I-5
    (("US", "CA", "Los Angeles"), ("US", "AZ", "Phoenix"), 600, 330),  # I-10
    (("US", "AZ", "Phoenix"), ("US", "AZ", "Tucson"), 182, 110),  # I-10
    (("US", "AZ", "Phoenix"), ("US", "AZ", "Flagstaff"), 233, 140),  # I-17
    (("US", "TX", "Dallas"), ("US", "TX", "Houston"), 385, 215),  # I-45
    (("US", "TX", "Dallas"), ("US", "TX", "Austin"), 314, 180),  # I-35
    (("US", "TX", "Houston"), ("US", "TX", "San Antonio"), 317, 180),  # I-10
    (("US", "CO", "Denver"), ("US", "CO", "Colorado Springs"), 113, 70),  # I-25
    (("US", "CO", "Denver"), ("US", "UT", "Salt Lake City"), 837, 460),  # I-80 via Wyoming
    (("US", "WA", "Seattle"), ("US", "OR", "Portland"), 280, 170),  # I-5
    (("US", "WA", "Seattle"), ("US", "WA", "Spokane"), 449, 255),  # I-90
    (("US", "GA", "Atlanta"), ("US", "TN", "Nashville"), 402, 230),  # I-24
    (("US", "GA", "Atlanta"), ("US", "NC", "Charlotte"), 393, 220),  # I-85
    (("US", "FL", "Miami"), ("US", "FL", "Orlando"), 378, 210),  # Florida Turnpike
    (("US", "MN", "Minneapolis"), ("US", "ND", "Fargo"), 378, 210),  # I-94
    (("US", "NM", "Albuquerque"), ("US", "NM", "Santa Fe"), 103, 60),  # I-25
    (("US", "MO", "Kansas City"), ("US", "MO", "St. Louis"), 399, 220),  # I-70
    (("CA", "ON", "Toronto"), ("CA", "QC", "Montréal"), 541, 315),  # Hwy 401 / A-20
    (("CA", "ON", "Toronto"), ("CA", "ON", "Ottawa"), 450, 265),  # Hwy 401 / 416
    (("CA", "ON", "Ottawa"), ("CA", "QC", "Montréal"), 199, 125),  # Hwy 417 / A-40
    (("CA", "QC", "Montréal"), ("CA", "QC", "Québec"), 253, 160),
    (("CA", "AB", "Calgary"), ("CA", "AB", "Edmonton"), 299, 180),  # Hwy 2
    (("CA", "AB", "Calgary"), ("CA", "AB", "Banff"), 128, 85),  # Trans-Canada Hwy 1
    (("CA", "BC", "Vancouver"), ("CA", "BC", "Kamloops"), 355, 230),  # Hwy 1 / Coquihalla 5
    (("CA", "SK", "Regina"), ("CA", "SK", "Saskatoon"), 239, 150),  # Hwy 11
    (("CA", "MB", "Winnipeg"), ("CA", "SK", "Regina"), 571, 340),  # Trans-Canada Hwy 1
    (("CA", "NS", "Halifax"), ("CA", "NB", "Moncton"), 261, 160),  # Hwy 102 / 104 / 2
    (("CA", "ON", "Toronto"), ("CA", "ON", "London"), 193, 120),  # Hwy 401
    (("CA", "BC", "Vancouver"), ("US", "WA", "Seattle"), 230, 145),  # Hwy 99 / I-5, no border queue
    (("CA", "ON", "Toronto"), ("US", "NY", "Buffalo"), 160, 100),  # QEW / Peace Bridge, no queue
    (("CA", "QC", "Montréal"), ("US", "VT", "Burlington"), 150, 110),  # A-15 / I-89, no queue
]


# (city, (lat, lon), city, (lat, lon), road miles): Knuth, The Stanford GraphBase, miles.dat (1949).
SGB_1949 = [
    ('Richmond, VA', (37.54, -77.45), 'Staunton, VA', (38.15, -79.07), 112),
    ('Reno, NV', (39.52, -119.81), 'Stockton, CA', (37.96, -121.29), 186),
    ('Richfield, UT', (38.77, -112.09), 'Salt Lake City, UT', (40.76, -111.88), 164),
    ('Rocky Mount, NC', (35.94, -77.8), 'Winston-Salem, NC', (36.1, -80.25), 151),
    ('Spokane, WA', (47.67, -117.41), 'Wenatchee, WA', (47.42, -120.32), 167),
    ('Stroudsburg, PA', (40.99, -75.19), 'Wilmington, DE', (39.75, -75.55), 105),
    ('Saint Joseph, MI', (42.1, -86.48), 'Toledo, OH', (41.65, -83.54), 182),
    ('Williamsport, PA', (41.25, -77.0), 'Wilmington, DE', (39.75, -75.55), 172),
    ('San Bernardino, CA', (34.11, -117.31), 'San Diego, CA', (32.71, -117.15), 130),
    ('Richmond, IN', (39.83, -84.89), 'South Bend, IN', (41.68, -86.25), 167),
    ('Warren, PA', (41.85, -79.14), 'Youngstown, OH', (41.1, -80.65), 118),
    ('Salinas, CA', (36.67, -121.65), 'San Francisco, CA', (37.78, -122.42), 105),
    ('Springfield, IL', (39.8, -89.65), 'Vincennes, IN', (38.68, -87.53), 168),
    ('Rochester, NY', (43.16, -77.61), 'Williamsport, PA', (41.25, -77.0), 166),
    ('Rockford, IL', (42.27, -89.1), 'Wausau, WI', (44.96, -89.64), 214),
    ('Salt Lake City, UT', (40.76, -111.88), 'Twin Falls, ID', (42.56, -114.47), 236),
    ('Ravenna, OH', (41.16, -81.24), 'Syracuse, NY', (43.05, -76.15), 351),
    ('Santa Ana, CA', (33.76, -117.87), 'Stockton, CA', (37.96, -121.29), 372),
    ('San Francisco, CA', (37.78, -122.42), 'Weed, CA', (41.42, -122.39), 305),
    ('Rochester, NY', (43.16, -77.61), 'Stroudsburg, PA', (40.99, -75.19), 247),
    ('Schenectady, NY', (42.82, -73.95), 'Williamsport, PA', (41.25, -77.0), 247),
    ('Scranton, PA', (41.41, -75.67), 'Staunton, VA', (38.15, -79.07), 333),
    ('Spokane, WA', (47.67, -117.41), 'Tacoma, WA', (47.24, -122.43), 325),
    ('Ravenna, OH', (41.16, -81.24), 'Scranton, PA', (41.41, -75.67), 363),
    ('Saint Cloud, MN', (45.57, -94.17), 'Wausau, WI', (44.96, -89.64), 258),
    ('Schenectady, NY', (42.82, -73.95), 'Wilmington, DE', (39.75, -75.55), 277),
    ('Saint Louis, MO', (38.62, -90.19), 'Springfield, OH', (39.92, -83.81), 372),
    ('Salina, KS', (38.84, -97.61), 'Sioux City, IA', (42.49, -96.39), 316),
    ('Ravenna, OH', (41.16, -81.24), 'Vincennes, IN', (38.68, -87.53), 431),
    ('Saint Louis, MO', (38.62, -90.19), 'Toledo, OH', (41.65, -83.54), 461),
    ('Rockford, IL', (42.27, -89.1), 'Uniontown, PA', (39.9, -79.73), 584),
    ('Sandusky, OH', (41.45, -82.71), 'Trenton, NJ', (40.23, -74.77), 511),
    ('Sioux City, IA', (42.49, -96.39), 'Wisconsin Dells, WI', (43.63, -89.77), 437),
    ('Scranton, PA', (41.41, -75.67), 'Wilmington, NC', (34.24, -77.92), 605),
    ('Williamsport, PA', (41.25, -77.0), 'Wilmington, NC', (34.24, -77.92), 567),
    ('Santa Barbara, CA', (34.42, -119.7), 'Santa Rosa, CA', (38.44, -122.72), 396),
    ('Staunton, VA', (38.15, -79.07), 'Swainsboro, GA', (32.6, -82.34), 505),
    ('Steubenville, OH', (40.36, -80.62), 'Syracuse, NY', (43.05, -76.15), 392),
    ('Rochester, NY', (43.16, -77.61), 'Toledo, OH', (41.65, -83.54), 374),
    ('Richmond, IN', (39.83, -84.89), 'Tuscaloosa, AL', (33.21, -87.57), 602),
    ('Toronto, ON', (43.65, -79.38), 'Waukegan, IL', (42.36, -87.83), 540),
    ('Scranton, PA', (41.41, -75.67), 'Toronto, ON', (43.65, -79.38), 349),
    ('Springfield, MA', (42.1, -72.59), 'Toronto, ON', (43.65, -79.38), 475),
    ('Toronto, ON', (43.65, -79.38), 'Trenton, NJ', (40.23, -74.77), 460),
    ('Saint Johnsbury, VT', (44.42, -72.02), 'Toronto, ON', (43.65, -79.38), 494),
    ('Regina, SK', (50.42, -104.65), 'Winnipeg, MB', (49.88, -97.15), 399),
]

BEFORE = (1.25, 90.0, 40.0, 40.0)  # travel.py's constants before this calibration (a textbook guess)


def modern_ends() -> np.ndarray:
    """Both ends of every MODERN pair as geocoded city centres: rows of (lat1, lon1, lat2, lon2)."""
    ends = []
    for a, b, _, _ in MODERN:
        pa = locate(country=a[0], region=a[1], city=a[2])
        pb = locate(country=b[0], region=b[1], city=b[2])
        ends.append((pa.lat, pa.lon, pb.lat, pb.lon))
    return np.array(ends)


def read_sgb(path: str) -> list[tuple]:
    """All pairs of a miles.dat file (plain or .gz) as SGB_1949 rows.

    Format: a city line `Name, ST[lat*100,lon*100]population`, then the miles to every city listed
    before it, nearest-listed first.
    """
    opener = gzip.open if path.endswith(".gz") else open
    line_re = re.compile(r"^(.+?)\[(\d+),(\d+)\]\d+$")
    cities, rows = [], []
    with opener(path, "rt") as f:
        for line in f:
            if line.startswith("*"):
                continue
            m = line_re.match(line.strip())
            if m:
                cities.append((m.group(1), (int(m.group(2)) / 100, -int(m.group(3)) / 100)))
                back = 2  # the first distance is to the city listed just before
                continue
            for miles in line.split():
                (name, point), (other, other_point) = cities[-1], cities[-back]
                rows.append((name, point, other, other_point, int(miles)))
                back += 1
    return rows


def model(ends: np.ndarray, circuity: float, cruise: float, town: float, scale: float):
    """The model's great-circle km, road km and minutes per pair, by travel.py's own functions."""
    saved = (travel.CIRCUITY, travel.CRUISE_KMH, travel.TOWN_KMH, travel.SPEED_SCALE_KM)
    travel.CIRCUITY, travel.CRUISE_KMH, travel.TOWN_KMH, travel.SPEED_SCALE_KM = circuity, cruise, town, scale
    try:
        gc = travel.great_circle_km(ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3])
        km = gc * travel.CIRCUITY
        return gc, km, travel.drive_minutes_for_km(km)
    finally:
        travel.CIRCUITY, travel.CRUISE_KMH, travel.TOWN_KMH, travel.SPEED_SCALE_KM = saved


def mape(estimate, truth) -> float:
    return float(np.mean(np.abs(estimate - truth) / truth) * 100)


def fit_circuity(km_sets) -> float:
    """The circuity minimising the mean of the km MAPEs of each (great-circle km, road km) set."""
    circuities = np.arange(1.05, 1.60, 0.005)
    return round(float(min(circuities, key=lambda c: np.mean([mape(gc * c, road) for gc, road in km_sets]))), 3)


def fit_speed(ends, road_min, circuity, towns=None, scales=None):
    """Cruise speed (and optionally town speed and scale) minimising the minutes MAPE (grid search)."""
    towns = towns if towns is not None else (travel.TOWN_KMH,)
    scales = scales if scales is not None else (travel.SPEED_SCALE_KM,)
    best = None
    for cruise, town, scale in itertools.product(np.arange(60, 131, 1.0), towns, scales):
        if town > cruise:
            continue
        err = mape(model(ends, circuity, cruise, town, scale)[2], road_min)
        if best is None or err < best[0]:
            best = (err, cruise, town, scale)
    return circuity, best[1], best[2], best[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sgb", help="a miles.dat file (or knuth_miles.txt.gz): use all of its pairs")
    args = parser.parse_args()
    sgb = read_sgb(args.sgb) if args.sgb else SGB_1949
    sgb_ends = np.array([(a[0], a[1], b[0], b[1]) for _, a, _, b, _ in sgb])
    sgb_km = np.array([row[4] for row in sgb], dtype=float) * 1.609344
    ends = modern_ends()
    road_km = np.array([p[2] for p in MODERN], dtype=float)
    road_min = np.array([p[3] for p in MODERN], dtype=float)
    sgb_gc = travel.great_circle_km(sgb_ends[:, 0], sgb_ends[:, 1], sgb_ends[:, 2], sgb_ends[:, 3])
    modern_gc = travel.great_circle_km(ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3])

    circuity = fit_circuity([(sgb_gc, sgb_km), (modern_gc, road_km)])
    current = (travel.CIRCUITY, travel.CRUISE_KMH, travel.TOWN_KMH, travel.SPEED_SCALE_KM)
    fitted = fit_speed(ends, road_min, circuity)
    # Town speed and scale barely show on intercity pairs; a free fit runs them to the grid's edge.
    free = fit_speed(ends, road_min, circuity, towns=np.arange(30, 71, 5.0), scales=(10.0, 20.0, 40.0, 80.0))

    print(f"SGB_1949: {len(sgb)} pairs, Rand McNally 1949 highway mileages (Knuth, The Stanford GraphBase)")
    print(f"{'pair':<40} {'gc km':>6} {'road km':>7} {'ratio':>5} | {'fit km':>6} {'err%':>5}")
    if len(sgb) <= 100:
        for i, (a, _, b, _, _) in enumerate(sgb):
            print(f"{a + ' - ' + b:<40} {sgb_gc[i]:>6.0f} {sgb_km[i]:>7.0f} {sgb_km[i] / sgb_gc[i]:>5.2f} | "
                  f"{sgb_gc[i] * circuity:>6.0f} {(sgb_gc[i] * circuity / sgb_km[i] - 1) * 100:>+5.1f}")
    print(f"median road/great-circle ratio {np.median(sgb_km / sgb_gc):.3f}")
    print()
    print(f"MODERN: {len(MODERN)} pairs, Google Maps fastest route, no traffic (from memory, see module docstring)")
    print(f"{'pair':<34} {'gc km':>6} {'road km':>7} {'road min':>8} | {'fit km':>6} {'err%':>5} {'fit min':>7} {'err%':>5}")
    _, km1, min1 = model(ends, *fitted)
    for i, (a, b, _, _) in enumerate(MODERN):
        name = f"{a[2]} {a[1]} - {b[2]} {b[1]}"
        print(f"{name:<34} {modern_gc[i]:>6.0f} {road_km[i]:>7.0f} {road_min[i]:>8.0f} | {km1[i]:>6.0f} "
              f"{(km1[i] / road_km[i] - 1) * 100:>+5.1f} {min1[i]:>7.0f} {(min1[i] / road_min[i] - 1) * 100:>+5.1f}")
    print(f"median road/great-circle ratio {np.median(road_km / modern_gc):.3f}")
    print()
    print("fit = circuity on both sources, cruise speed on MODERN times, town speed and scale kept")
    print(f"{'constants':<10} {'circuity':>8} {'cruise km/h':>11} {'town km/h':>9} {'scale km':>8} | "
          f"{'SGB km':>7} {'km MAPE':>7} {'min MAPE':>8}")
    rows = (("before", BEFORE), ("travel.py", current), ("fitted", fitted), ("free fit", free))
    for label, params in rows:
        _, km, minutes = model(ends, *params)
        print(f"{label:<10} {params[0]:>8.3f} {params[1]:>11.1f} {params[2]:>9.1f} {params[3]:>8.1f} | "
              f"{mape(sgb_gc * params[0], sgb_km):>6.1f}% {mape(km, road_km):>6.1f}% {mape(minutes, road_min):>7.1f}%")


if __name__ == "__main__":
    main()
