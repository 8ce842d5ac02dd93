"""Make tourplanner/static/maps/outlines.geojson: US state and Canadian province outlines for maps without tiles.

The geometry comes from the PyPI packages coord2loc-usa 0.0.1 and coord2loc-can 0.0.1 (geoBoundaries
ADM1 polygons: US Census, public domain; Statistics Canada, Open Government Licence - Canada), simplified
to about 5 km so the file stays small. Run once, in a throw-away virtualenv (not app requirements):

    python -m venv /tmp/gen && /tmp/gen/bin/pip install msgpack shapely coord2loc-usa==0.0.1 coord2loc-can==0.0.1
    /tmp/gen/bin/python tools/make_map_outlines.py
"""

import json
import sys
import zlib
from importlib import resources
from pathlib import Path

import msgpack
import shapely

TOLERANCE_DEG = 0.05
MIN_AREA_DEG2 = 0.25  # drop islands smaller than about 40 km x 40 km
OUT = Path(__file__).resolve().parent.parent / "tourplanner" / "static" / "maps" / "outlines.geojson"


def load(package: str):
    """(name, country, geometry) for every region a coord2loc data package ships."""
    data = resources.files(f"{package}.data")
    wkbs = msgpack.unpackb(zlib.decompress(data.joinpath("polygons.msgpack").read_bytes()), raw=False)
    meta = msgpack.unpackb(zlib.decompress(data.joinpath("meta.msgpack").read_bytes()), raw=False)
    wkbs = [w.strip() for w in wkbs if w.strip()]
    assert len(wkbs) == len(meta), package
    for wkb, info in zip(wkbs, meta):
        yield info["administrative_region"], info["country"], shapely.from_wkb(wkb)


def simplify(geometry):
    """Outline only: small islands dropped, vertices thinned, coordinates rounded."""
    parts = getattr(geometry, "geoms", [geometry])
    kept = [p for p in parts if p.area >= MIN_AREA_DEG2] or [max(parts, key=lambda p: p.area)]
    merged = shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]
    simple = shapely.simplify(merged, TOLERANCE_DEG, preserve_topology=True)
    return shapely.set_precision(simple, 0.01)


def main() -> int:
    features = []
    for package in ("coord2loc_usa", "coord2loc_can"):
        for name, country, geometry in load(package):
            features.append({
                "type": "Feature",
                "properties": {"name": name, "country": country},
                "geometry": json.loads(shapely.to_geojson(simplify(geometry))),
            })
    features.sort(key=lambda f: (f["properties"]["country"], f["properties"]["name"]))
    doc = {
        "type": "FeatureCollection",
        "attribution": "geoBoundaries (US Census; Statistics Canada) via coord2loc-usa/coord2loc-can",
        "features": features,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")))
    print(f"{OUT}: {len(features)} regions, {OUT.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
