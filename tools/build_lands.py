"""Make tourplanner/optimize/data/lands.json: the islands and roadless regions the travel model must not drive to.

Each land is `{"key", "name", "kind", "polygons", "source"}`; `kind` is "ferry" (car ferry only) or "no_road"
(no road or car ferry). `polygons` is a list of rings of [lon, lat]; a point is in a land when an odd number
of the land's rings surround it (even-odd rule, so holes work). A point in no land is on the road-connected
mainland, which includes bridged and causeway islands (PEI, Cape Breton, Montreal, Long Island, the Keys...).

Geometry: geoBoundaries ADM1 polygons from the PyPI packages coord2loc-usa 0.0.1 and coord2loc-can 0.0.1
(US Census, public domain; Statistics Canada, Open Government Licence - Canada), the same source as
tools/make_map_outlines.py. A land is the ADM1 parts found by anchor towns (or a whole ADM1, or an ADM1 cut by
a hand-drawn line where no boundary separates road from roadless), grown by BUFFER_KM over water so that a
geocoded point in the harbour still falls inside, never over other land, then simplified and rounded.
Run once, in a throw-away virtualenv (not app requirements):

    python -m venv /tmp/gen && /tmp/gen/bin/pip install msgpack numpy shapely coord2loc-usa==0.0.1 coord2loc-can==0.0.1
    /tmp/gen/bin/python tools/build_lands.py

It prints the land of every anchor and fact town and exits 1 if any is wrong.
"""

import importlib.util
import json
import math
import sys
from pathlib import Path

import shapely
from shapely import affinity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_map_outlines import load  # noqa: E402  (same data loader)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tourplanner" / "optimize" / "data" / "lands.json"
KM_PER_DEG = 111.32
BUFFER_KM = 2.0        # grow over water: harbour points, ferry docks, coarse coastlines
KEEP_OFF_KM = 0.5      # ...but stay this far from other land, so mainland docks stay mainland
ANCHOR_KM = 2.0        # an anchor town picks the part containing it, or the nearest part this close
PRE_SIMPLIFY_KM = 0.1  # thin the raw data first (speed only)
MIN_HOLE_KM2 = 4.0     # holes smaller than this are dropped (size)
MIN_PART_KM2 = 0.05    # and pieces smaller than this

GEO = "geoBoundaries ADM1 (US Census, public domain; Statistics Canada, OGL-Canada) via coord2loc-usa/-can 0.0.1"

# Hand-drawn cut lines, as (lon, lat) rings; each is intersected with the ADM1 land, so only its land-side
# course matters. Generous on the roadless side, kept tens of km from the listed road-connected towns.
# The Sunshine Coast: west of Howe Sound (Horseshoe Bay, Lions Bay, Britannia, Squamish stay out), to Desolation Sound.
SUNSHINE_COAST_CUT = [
    (-123.33, 49.20), (-123.33, 49.45), (-123.30, 49.60), (-123.28, 49.64), (-123.32, 49.80), (-123.60, 50.10),
    (-124.00, 50.50), (-125.00, 50.50), (-125.30, 50.00), (-124.50, 49.30), (-123.33, 49.20)]
SOUTHEAST_ALASKA_CUT = [  # the panhandle and Yakutat; cut south of Haines/Skagway (59.0N) and around Hyder
    (-141.0, 60.6), (-137.0, 60.6), (-137.0, 59.0), (-130.25, 59.0), (-130.25, 55.75), (-129.0, 55.75),
    (-129.0, 54.0), (-141.0, 54.0), (-141.0, 60.6)]
WESTERN_ALASKA_CUT = [  # west of Cook Inlet, the Parks Highway, Kantishna, Manley and the Dalton Highway
    (-180.0, 50.0), (-150.0, 50.0), (-150.0, 57.0), (-151.0, 58.3), (-152.6, 59.05), (-152.5, 59.9),
    (-151.6, 60.75), (-151.0, 61.0), (-150.6, 61.3), (-150.9, 61.9), (-151.4, 62.4), (-152.0, 63.5),
    (-151.5, 64.6), (-151.3, 65.1), (-151.4, 66.6), (-150.9, 67.6), (-150.4, 68.5), (-150.4, 72.0),
    (-180.0, 72.0), (-180.0, 50.0)]
WESTERN_ALASKA_CUT_EAST_HEMISPHERE = [(172.0, 50.0), (180.0, 50.0), (180.0, 56.0), (172.0, 56.0), (172.0, 50.0)]
NORTHEAST_ALASKA_CUT = [  # east of the Dalton Highway, north of Circle and the Steese Highway: Kaktovik, Fort Yukon
    (-147.6, 72.0), (-140.0, 72.0), (-140.0, 66.3), (-144.5, 66.3), (-146.5, 66.3), (-148.6, 66.4),
    (-147.9, 68.2), (-147.6, 72.0)]
NUNAVIK_CUT = [  # north of 55N (James Bay Road, Trans-Taiga stay south), Schefferville's corner from 54.5N
    (-80.0, 55.0), (-68.0, 55.0), (-67.5, 54.5), (-63.0, 54.5), (-63.0, 63.0), (-80.0, 63.0), (-80.0, 55.0)]
LABRADOR_NORTH_COAST_CUT = [  # north of Lake Melville and Hamilton Inlet (Goose Bay, North West River, Cartwright out)
    (-55.0, 54.3), (-57.5, 54.0), (-58.8, 53.95), (-59.5, 53.9), (-60.0, 53.8), (-61.0, 54.0), (-64.0, 54.6),
    (-68.5, 54.6), (-68.5, 61.0), (-55.0, 61.0), (-55.0, 54.3)]
ONTARIO_FAR_NORTH_CUT = [  # north of Red Lake, Pickle Lake, Nakina and the Otter Rapids hydro road
    (-96.0, 51.6), (-90.2, 51.9), (-87.0, 50.8), (-84.0, 50.6), (-79.0, 50.6), (-79.0, 57.5), (-96.0, 57.5),
    (-96.0, 51.6)]
CHURCHILL_CUT = [  # Manitoba north of 57.2N east of 97.5W: Churchill and the Hudson Bay coast; Gillam, Thompson out
    (-97.5, 57.2), (-88.0, 57.2), (-88.0, 60.1), (-97.5, 60.1), (-97.5, 57.2)]
MAGDALEN_BOX = [(-62.3, 47.1), (-61.0, 47.1), (-61.0, 47.9), (-62.3, 47.9), (-62.3, 47.1)]
# Islands missing from the (coarse) US data, drawn by hand from the map.
BLOCK_ISLAND = [(-71.615, 41.150), (-71.585, 41.140), (-71.550, 41.148), (-71.540, 41.170), (-71.555, 41.200),
                (-71.575, 41.235), (-71.595, 41.225), (-71.605, 41.190), (-71.620, 41.165), (-71.615, 41.150)]
PENDER_MAYNE_SATURNA = [  # one outline around the Penders, Mayne, Saturna and the water between them
    (-123.345, 48.800), (-123.335, 48.835), (-123.345, 48.850), (-123.320, 48.875), (-123.260, 48.870),
    (-123.220, 48.845), (-123.150, 48.820), (-123.040, 48.795), (-123.040, 48.770), (-123.120, 48.755),
    (-123.170, 48.725), (-123.240, 48.725), (-123.300, 48.750), (-123.345, 48.800)]
BARTER_ISLAND = [(-143.80, 70.09), (-143.60, 70.08), (-143.52, 70.11), (-143.58, 70.15), (-143.72, 70.14),
                 (-143.80, 70.09)]
BELL_ISLAND = [(-53.020, 47.600), (-52.980, 47.595), (-52.920, 47.625), (-52.900, 47.650), (-52.930, 47.665),
               (-52.990, 47.645), (-53.020, 47.620), (-53.020, 47.600)]
TWILLINGATE = [(-54.860, 49.620), (-54.800, 49.585), (-54.720, 49.600), (-54.700, 49.650), (-54.740, 49.700),
               (-54.820, 49.690), (-54.860, 49.620)]
SHAW_ISLAND = [(-123.010, 48.565), (-122.930, 48.555), (-122.910, 48.575), (-122.930, 48.605),
               (-122.990, 48.600), (-123.010, 48.565)]

HAND = "; hand-drawn by the tourplanner maintainers from general geographic knowledge"

# key, name, kind, region, how, anchors (name, lat, lon), source note. how is one of
#   "whole"                  every part of the region
#   "anchors"                the parts holding (or nearest to) the anchor towns
#   ("anchors+", hand)       those parts plus hand-drawn rings (islands missing from the data)
#   ("cut", rings[, hand])   the region (or, given anchors, their parts) intersected with hand-drawn rings,
#                            plus optional hand-drawn islands
#   ("island_of", (lat, lon)[, hand]) the anchor parts and every part nearer to them than to the part at
#                            (lat, lon), plus optional hand-drawn islands
LANDS = [
    ("vancouver_island", "Vancouver Island", "ferry", "British Columbia", "anchors",
     [("Victoria", 48.4284, -123.3656), ("Nanaimo", 49.1659, -123.9401), ("Courtenay", 49.6841, -124.9904),
      ("Campbell River", 50.0244, -125.2475), ("Port Hardy", 50.7236, -127.4969)],
     "the main island part only (Gabriola, Quadra, Denman... are not included)"),
    ("gulf_islands", "Southern Gulf Islands", "ferry", "British Columbia", ("anchors+", [PENDER_MAYNE_SATURNA]),
     [("Ganges", 48.8547, -123.5009), ("Fulford Harbour", 48.7693, -123.4522), ("Sturdies Bay", 48.8770, -123.3170)],
     "Salt Spring and Galiano; the Penders, Mayne and Saturna are missing from the data and hand-drawn" + HAND),
    ("sunshine_coast", "Sunshine Coast", "ferry", "British Columbia", ("cut", [SUNSHINE_COAST_CUT]),
     [("Gibsons", 49.3975, -123.5050)],
     "mainland BC west of Howe Sound, reached only by the Horseshoe Bay-Langdale ferry; the ADM1 has no boundary "
     "there, so the mainland part (not Texada, Bowen, Quadra...) is cut by a hand-drawn line through Howe Sound"
     + HAND),
    ("haida_gwaii", "Haida Gwaii", "ferry", "British Columbia", "anchors",
     [("Masset", 54.0110, -132.1470), ("Skidegate", 53.2650, -131.9900), ("Sandspit", 53.2400, -131.8200)],
     "Graham and Moresby islands"),
    ("newfoundland", "Newfoundland", "ferry", "Newfoundland and Labrador",
     ("island_of", (53.30, -60.33), [BELL_ISLAND, TWILLINGATE]),
     [("St. John's", 47.5615, -52.7126), ("Corner Brook", 48.9500, -57.9500), ("Gander", 48.9560, -54.6080)],
     "the island of Newfoundland and the islands nearer to it than to Labrador (Fogo, Bell Island, the "
     "causeway-linked New World Island...), with Bell Island and the Twillingate islands, which are missing from the "
     "data, hand-drawn" + HAND + "; Labrador is road-connected by the Trans-Labrador Highway"),
    ("magdalen_islands", "Îles de la Madeleine", "ferry", "Quebec", ("cut", [MAGDALEN_BOX]), [],
     "every Quebec part in a box around the islands"),
    ("nantucket", "Nantucket", "ferry", "Massachusetts", "anchors", [("Nantucket", 41.2835, -70.0995)], ""),
    ("marthas_vineyard", "Martha's Vineyard", "ferry", "Massachusetts", "anchors",
     [("Edgartown", 41.3890, -70.5134), ("Vineyard Haven", 41.4543, -70.6036)], ""),
    ("san_juan_islands", "San Juan Islands", "ferry", "Washington", ("anchors+", [SHAW_ISLAND]),
     [("Friday Harbor", 48.5343, -123.0171), ("Eastsound", 48.6968, -122.9060), ("Lopez", 48.5146, -122.9005)],
     "San Juan, Orcas, Lopez; Shaw Island is missing from the data and hand-drawn" + HAND),
    ("block_island", "Block Island", "ferry", "Rhode Island", ("anchors+", [BLOCK_ISLAND]), [],
     "missing from the data; hand-drawn" + HAND),
    ("vashon_island", "Vashon Island", "ferry", "Washington", "anchors", [("Vashon", 47.4473, -122.4597)],
     "Vashon and Maury"),
    ("hawaii", "Hawaii", "no_road", "Hawaii", "whole", [], ""),
    ("puerto_rico", "Puerto Rico", "no_road", "Puerto Rico", "whole", [], ""),
    ("us_virgin_islands", "U.S. Virgin Islands", "no_road", "United States Virgin Islands", "whole", [], ""),
    ("guam", "Guam", "no_road", "Guam", "whole", [], ""),
    ("northern_mariana_islands", "Northern Mariana Islands", "no_road",
     "Commonwealth of the Northern Mariana Islands", "whole", [], ""),
    ("american_samoa", "American Samoa", "no_road", "American Samoa", "whole", [], ""),
    ("southeast_alaska", "Southeast Alaska", "no_road", "Alaska", ("cut", [SOUTHEAST_ALASKA_CUT]), [],
     "the roadless panhandle and Yakutat; Haines, Skagway and Hyder are road-connected, so the cut runs at 59N "
     "and around Hyder" + HAND),
    ("western_alaska", "Western and Arctic Alaska", "no_road", "Alaska",
     ("cut", [WESTERN_ALASKA_CUT, WESTERN_ALASKA_CUT_EAST_HEMISPHERE, NORTHEAST_ALASKA_CUT], [BARTER_ISLAND]), [],
     "roadless Alaska west of Cook Inlet, the Parks Highway and the Dalton Highway, with the Aleutians, Kodiak "
     "and the Arctic coast, and the Arctic and Yukon Flats east of the Dalton Highway (Kaktovik, Fort Yukon); "
     "the road corridor (Anchorage, Fairbanks, Kenai, Homer, Deadhorse, Circle) is cut out; Barter Island "
     "(Kaktovik) is missing from the data and drawn by hand" + HAND),
    ("nunavik", "Nunavik", "no_road", "Quebec", ("cut", [NUNAVIK_CUT]), [],
     "Quebec north of 55N, and north of 54.5N east of 67.5W (Schefferville, rail only); the James Bay Road, "
     "Trans-Taiga Road and Route 389 stay south" + HAND),
    ("labrador_north_coast", "Labrador north coast", "no_road", "Newfoundland and Labrador",
     ("cut", [LABRADOR_NORTH_COAST_CUT]), [],
     "Labrador north of Lake Melville and Hamilton Inlet (Rigolet, Makkovik, Hopedale, Nain); Happy Valley-Goose "
     "Bay, North West River and Cartwright are on the Trans-Labrador Highway" + HAND),
    ("ontario_far_north", "Ontario's Far North", "no_road", "Ontario", ("cut", [ONTARIO_FAR_NORTH_CUT]), [],
     "fly-in and rail-only Ontario north of Red Lake, Pickle Lake, Nakina and Otter Rapids (Moosonee, "
     "Attawapiskat, Fort Severn, Sandy Lake, Big Trout Lake)" + HAND),
    ("churchill", "Churchill", "no_road", "Manitoba", ("cut", [CHURCHILL_CUT]), [],
     "Manitoba north of 57.2N and east of 97.5W: Churchill (rail only) and the Hudson Bay coast; Gillam and "
     "Thompson are road-connected" + HAND),
    # Last, so that the lands above keep the water they share with it; grown further (WIDE_BUFFER_KM) because
    # the data misses small islands with towns on them (Dorset Island: Kinngait).
    ("nunavut", "Nunavut", "no_road", "Nunavut", "whole", [], "the whole territory, grown 5 km over water"),
]
WIDE_BUFFER_KM = {"nunavut": 5.0}

# Towns that must fall in a land (key) or on the mainland (None): anchors of hand cuts and the traps next to them.
FACTS = [
    ("Cap-aux-Meules", 47.3800, -61.8600, "magdalen_islands"), ("Havre-Aubert", 47.2400, -61.8400, "magdalen_islands"),
    ("Grande-Entrée", 47.5500, -61.5500, "magdalen_islands"), ("Souris PE", 46.3550, -62.2500, None),
    ("Port Washington", 48.8120, -123.3200, "gulf_islands"), ("Hope Bay", 48.8020, -123.2720, "gulf_islands"),
    ("South Pender", 48.7480, -123.2100, "gulf_islands"), ("Miners Bay", 48.8530, -123.3000, "gulf_islands"),
    ("Saturna", 48.7950, -123.2000, "gulf_islands"), ("Sidney", 48.6500, -123.3990, "vancouver_island"),
    ("Twillingate", 49.6456, -54.7580, "newfoundland"), ("Fogo", 49.7150, -54.2740, "newfoundland"),
    ("Wabana, Bell Island", 47.6360, -52.9470, "newfoundland"),
    ("Departure Bay", 49.1930, -123.9550, "vancouver_island"), ("Duke Point", 49.1630, -123.8910, "vancouver_island"),
    ("Tahlequah", 47.3316, -122.5070, "vashon_island"), ("Vashon north dock", 47.5100, -122.4640, "vashon_island"),
    ("Orcas landing", 48.5970, -122.9440, "san_juan_islands"),
    ("Lopez landing", 48.5700, -122.8860, "san_juan_islands"),
    ("Pender Harbour", 49.6300, -124.0300, "sunshine_coast"), ("Lund", 49.9800, -124.7600, "sunshine_coast"),
    ("Port Mellon", 49.5200, -123.4800, "sunshine_coast"), ("Britannia Beach", 49.6250, -123.2030, None),
    ("Gibsons", 49.3975, -123.5050, "sunshine_coast"), ("Sechelt", 49.4742, -123.7545, "sunshine_coast"),
    ("Powell River", 49.8352, -124.5247, "sunshine_coast"), ("Langdale", 49.4346, -123.4713, "sunshine_coast"),
    ("Horseshoe Bay", 49.3760, -123.2730, None), ("West Vancouver", 49.3270, -123.1660, None),
    ("Lions Bay", 49.4550, -123.2370, None), ("Squamish", 49.7016, -123.1558, None),
    ("Whistler", 50.1163, -122.9574, None), ("Tofino", 49.1530, -125.9066, "vancouver_island"),
    ("Swartz Bay", 48.6880, -123.4100, "vancouver_island"), ("Crofton", 48.8650, -123.6450, "vancouver_island"),
    ("Tsawwassen", 49.0060, -123.1320, None), ("Port Angeles", 48.1181, -123.4307, None),
    ("Daajing Giids", 53.2550, -132.0800, "haida_gwaii"), ("Prince Rupert", 54.3150, -130.3208, None),
    ("Port aux Basques", 47.5720, -59.1360, "newfoundland"), ("Argentia", 47.3000, -53.9900, "newfoundland"),
    ("North Sydney", 46.2070, -60.2520, None), ("Blanc-Sablon", 51.4260, -57.1310, None),
    ("Friday Harbor", 48.5343, -123.0171, "san_juan_islands"), ("Shaw Island", 48.5800, -122.9600, "san_juan_islands"),
    ("Anacortes", 48.5126, -122.6127, None), ("Anacortes ferry", 48.5069, -122.6779, None),
    ("New Shoreham", 41.1723, -71.5578, "block_island"), ("Point Judith", 41.3615, -71.4812, None),
    ("Vashon", 47.4473, -122.4597, "vashon_island"), ("Point Defiance", 47.3066, -122.5146, None),
    ("Fauntleroy", 47.5230, -122.3960, None), ("Woods Hole", 41.5265, -70.6731, None),
    ("Hyannis", 41.6525, -70.2881, None),
    ("Juneau", 58.3019, -134.4197, "southeast_alaska"), ("Sitka", 57.0531, -135.3300, "southeast_alaska"),
    ("Ketchikan", 55.3422, -131.6461, "southeast_alaska"), ("Petersburg", 56.8125, -132.9556, "southeast_alaska"),
    ("Wrangell", 56.4708, -132.3767, "southeast_alaska"), ("Craig", 55.4764, -133.1483, "southeast_alaska"),
    ("Gustavus", 58.4130, -135.7370, "southeast_alaska"), ("Yakutat", 59.5469, -139.7272, "southeast_alaska"),
    ("Haines", 59.2358, -135.4450, None), ("Skagway", 59.4583, -135.3139, None), ("Hyder", 55.9166, -130.0247, None),
    ("Stewart BC", 55.9380, -129.9880, None),
    ("Nome", 64.5011, -165.4064, "western_alaska"), ("Bethel", 60.7922, -161.7558, "western_alaska"),
    ("Kotzebue", 66.8983, -162.5967, "western_alaska"), ("Utqiagvik", 71.2906, -156.7886, "western_alaska"),
    ("Dillingham", 59.0397, -158.4575, "western_alaska"), ("Kodiak", 57.7900, -152.4072, "western_alaska"),
    ("Unalaska", 53.8739, -166.5375, "western_alaska"), ("Adak", 51.8800, -176.6580, "western_alaska"),
    ("Tanana", 65.1720, -152.0790, "western_alaska"), ("Bettles", 66.9180, -151.5200, "western_alaska"),
    ("Kaktovik", 70.1320, -143.6240, "western_alaska"), ("Fort Yukon", 66.5650, -145.2740, "western_alaska"),
    ("Anchorage", 61.2181, -149.9003, None), ("Fairbanks", 64.8378, -147.7164, None),
    ("Kenai", 60.5544, -151.2583, None),
    ("Homer", 59.6425, -151.5483, None), ("Anchor Point", 59.7767, -151.8314, None),
    ("Valdez", 61.1308, -146.3483, None),
    ("Deadhorse", 70.2002, -148.4597, None), ("Coldfoot", 67.2520, -150.1750, None), ("Tok", 63.3367, -142.9856, None),
    ("Delta Junction", 64.0379, -145.7322, None), ("Manley Hot Springs", 65.0010, -150.6340, None),
    ("Talkeetna", 62.3209, -150.1066, None), ("Circle", 65.8256, -144.0606, None),
    ("Kantishna", 63.5420, -150.9950, None),
    ("Kuujjuaq", 58.1030, -68.4180, "nunavik"), ("Kuujjuarapik", 55.2820, -77.7560, "nunavik"),
    ("Puvirnituq", 60.0390, -77.2830, "nunavik"), ("Inukjuak", 58.4530, -78.1020, "nunavik"),
    ("Schefferville", 54.8000, -66.8300, "nunavik"),
    ("Radisson", 53.7900, -77.6170, None), ("Chisasibi", 53.7820, -78.9040, None),
    ("Chibougamau", 49.9130, -74.3790, None), ("Fermont", 52.7900, -67.0860, None),
    ("Nain", 56.5420, -61.6920, "labrador_north_coast"), ("Hopedale", 55.4560, -60.2090, "labrador_north_coast"),
    ("Rigolet", 54.1790, -58.4300, "labrador_north_coast"), ("Makkovik", 55.0830, -59.1720, "labrador_north_coast"),
    ("Happy Valley-Goose Bay", 53.3017, -60.3261, None), ("North West River", 53.5250, -60.1440, None),
    ("Cartwright", 53.7080, -57.0200, None), ("Labrador City", 52.9420, -66.9110, None),
    ("Churchill Falls", 53.5500, -64.0100, None),
    ("Moosonee", 51.2720, -80.6420, "ontario_far_north"), ("Attawapiskat", 52.9260, -82.4290, "ontario_far_north"),
    ("Fort Severn", 56.0000, -87.6330, "ontario_far_north"), ("Sandy Lake", 53.0600, -93.3400, "ontario_far_north"),
    ("Big Trout Lake", 53.8200, -89.8800, "ontario_far_north"), ("Fort Albany", 52.2030, -81.6850, "ontario_far_north"),
    ("Pickle Lake", 51.4710, -90.1880, None), ("Red Lake", 51.0120, -93.8270, None),
    ("Cochrane", 49.0630, -81.0220, None),
    ("Timmins", 48.4770, -81.3300, None), ("Kapuskasing", 49.4160, -82.4330, None), ("Hearst", 49.6870, -83.6670, None),
    ("Nakina", 50.1700, -86.7100, None), ("Otter Rapids", 50.1830, -81.6320, None),
    ("Churchill", 58.7684, -94.1650, "churchill"), ("Thompson", 55.7435, -97.8558, None),
    ("Gillam", 56.3470, -94.7070, None),
    ("Iqaluit", 63.7467, -68.5170, "nunavut"), ("Rankin Inlet", 62.8090, -92.0850, "nunavut"),
    ("Sanikiluaq", 56.5420, -79.2250, "nunavut"), ("Kinngait", 64.2333, -76.5333, "nunavut"),
    ("Yellowknife", 62.4540, -114.3718, None),
    ("Honolulu", 21.3069, -157.8583, "hawaii"), ("San Juan", 18.4655, -66.1057, "puerto_rico"),
    ("Charlotte Amalie", 18.3419, -64.9307, "us_virgin_islands"), ("Hagåtña", 13.4757, 144.7489, "guam"),
    ("Saipan", 15.1850, 145.7460, "northern_mariana_islands"), ("Pago Pago", -14.2756, -170.7020, "american_samoa"),
]


def project(geom, lat0):
    """Equirectangular km around lat0, so buffers and tolerances are in km."""
    return affinity.scale(geom, KM_PER_DEG * math.cos(math.radians(lat0)), KM_PER_DEG, origin=(0, 0))


def unproject(geom, lat0):
    return affinity.scale(geom, 1 / (KM_PER_DEG * math.cos(math.radians(lat0))), 1 / KM_PER_DEG, origin=(0, 0))


def fill(geom):
    """Lakes inside an island belong to the island."""
    return shapely.union_all([shapely.Polygon(p.exterior) for p in parts(geom)])


def parts(geom):
    return [g for g in getattr(geom, "geoms", [geom]) if not g.is_empty and g.geom_type == "Polygon"]


def anchor_parts(region_parts, anchors):
    """The part containing each anchor town, or the nearest part within ANCHOR_KM."""
    chosen = set()
    for name, lat, lon in anchors:
        pt = shapely.Point(lon, lat)
        km = [p.distance(pt) * KM_PER_DEG * math.cos(math.radians(lat)) for p in region_parts]
        i = min(range(len(km)), key=km.__getitem__)
        if km[i] > ANCHOR_KM:
            sys.exit(f"anchor {name} is {km[i]:.1f} km from any part")
        chosen.add(i)
    return [region_parts[i] for i in sorted(chosen)]


def select(regions, region, how, anchors):
    """The raw land of one entry (lon/lat geometry)."""
    region_parts = parts(regions[region])
    if how == "whole":
        return shapely.union_all(region_parts)
    if how == "anchors":
        return shapely.union_all(anchor_parts(region_parts, anchors))
    kind, arg, *extra = how
    hand = [shapely.Polygon(r) for r in (extra[0] if extra else [])]
    if kind == "anchors+":
        return shapely.union_all((anchor_parts(region_parts, anchors) if anchors else []) + arg_polygons(arg))
    if kind == "cut":
        whole = shapely.union_all(anchor_parts(region_parts, anchors)) if anchors else regions[region]
        return shapely.union_all([shapely.intersection(whole, shapely.MultiPolygon(arg_polygons(arg)))] + hand)
    if kind == "island_of":
        main = shapely.union_all(anchor_parts(region_parts, anchors))
        other = shapely.union_all(anchor_parts(region_parts, [("other", *arg)]))
        return shapely.union_all([p for p in region_parts if p.distance(main) <= p.distance(other)] + hand)
    raise ValueError(how)


def arg_polygons(rings):
    return [shapely.Polygon(r) for r in rings]


def build(regions, all_parts, tree, entry, taken):
    """One lands.json entry, and its final geometry (to keep later lands off it)."""
    key, name, kind, region, how, anchors, note = entry
    raw = fill(select(regions, region, how, anchors))
    lat0 = (raw.bounds[1] + raw.bounds[3]) / 2
    km = project(raw, lat0)
    grown_km = shapely.buffer(km, WIDE_BUFFER_KM.get(key, BUFFER_KM), quad_segs=4)
    grown = unproject(grown_km, lat0)
    # Other land near this one: grow only over water, and keep off it by KEEP_OFF_KM.
    near = [all_parts[i] for i in tree.query(grown, predicate="intersects")]
    other = shapely.difference(shapely.intersection(shapely.union_all(near), grown.envelope.buffer(0.1)), raw)
    other_km = shapely.buffer(project(other, lat0), KEEP_OFF_KM, quad_segs=2)
    land_km = shapely.union(shapely.difference(grown_km, other_km), km)
    tolerance = 0.5 if raw.area < 50 else 2.0  # km; big roadless lands need less detail
    land_km = shapely.simplify(land_km, tolerance, preserve_topology=True)
    land_km = shapely.union_all([  # small holes (islets of other land in the buffer) are not worth their bytes
        shapely.Polygon(p.exterior, [h for h in p.interiors if shapely.Polygon(h).area >= MIN_HOLE_KM2])
        for p in parts(land_km)])
    land = unproject(land_km, lat0)
    if taken is not None:  # lands do not overlap: water between two of them goes to the first
        land = shapely.difference(land, taken)
    land = shapely.set_precision(land, 1e-4)  # 4 decimals (~10 m), valid after rounding
    km2 = KM_PER_DEG ** 2 * math.cos(math.radians(lat0))
    rings = [[[x, y] for x, y in ring.coords]  # slivers left by the cuts are dropped
             for poly in parts(land) if poly.area * km2 >= MIN_PART_KM2
             for ring in [poly.exterior, *poly.interiors] if shapely.Polygon(ring).area * km2 >= MIN_PART_KM2]
    source = GEO + (f": {note}" if note else "")
    return {"key": key, "name": name, "kind": kind, "polygons": rings, "source": source}, land


def check():
    """Load the written file through the runtime module and check every anchor and fact town."""
    spec = importlib.util.spec_from_file_location("lands_runtime", ROOT / "tourplanner" / "optimize" / "lands.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    anchors = [(town, lat, lon, key) for key, _name, _kind, _region, _how, towns, _note in LANDS
               for town, lat, lon in towns]
    wrong = 0
    for name, lat, lon, key in anchors + FACTS:
        got = module.land_of(lat, lon).key
        want = key or "mainland"
        ok = got == want
        wrong += not ok
        print(f"{'ok ' if ok else 'BAD'} {name:24s} {lat:9.4f} {lon:10.4f} {got}" + ("" if ok else f" (want {want})"))
    return wrong


def main() -> int:
    if sys.argv[1:] == ["--check"]:  # check the written file only
        wrong = check()
        print(f"{wrong} town(s) in the wrong land" if wrong else "all towns in the right land")
        return 1 if wrong else 0
    regions = {}
    for package in ("coord2loc_usa", "coord2loc_can"):
        for name, _country, geometry in load(package):
            regions[name] = shapely.simplify(geometry, PRE_SIMPLIFY_KM / KM_PER_DEG, preserve_topology=True)
    all_parts = [p for g in regions.values() for p in parts(g)]
    tree = shapely.STRtree(all_parts)
    out, taken = [], None
    for entry in LANDS:
        land, geom = build(regions, all_parts, tree, entry, taken)
        taken = geom if taken is None else shapely.union(taken, geom)
        n = sum(len(r) for r in land["polygons"])
        print(f"{land['key']:26s} {len(land['polygons']):4d} rings {n:6d} points")
        out.append(land)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(out)} lands, {OUT.stat().st_size // 1024} KiB")
    wrong = check()
    print(f"{wrong} town(s) in the wrong land" if wrong else "all towns in the right land")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
