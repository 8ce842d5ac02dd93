"""Which land a town is on, checked against geography rather than against the code.

The table is real towns with their usual place coordinates (general geographic knowledge; official place
coordinates as published by e.g. the USGS GNIS and the Canadian Geographical Names Database, to 3-4 decimals)
and the land a van would find them on: bridged and causeway islands are the mainland, islands reached only by
car ferry are "ferry" lands, places no road or car ferry reaches are "no_road" lands. The road-connected towns
next to a land (ferry docks, road ends) are there to catch a polygon drawn too generously.
"""
import numpy as np
import pytest

from tourplanner.optimize.lands import MAINLAND, Land, land, land_of, lands_of

M = "mainland"

BRIDGED_ISLANDS = [  # islands with a bridge, causeway or tunnel: the mainland
    ("Charlottetown PE", 46.2382, -63.1311, M), ("Summerside PE", 46.3934, -63.7902, M),
    ("Souris PE", 46.3550, -62.2500, M), ("Sydney NS", 46.1368, -60.1942, M), ("North Sydney NS", 46.2070, -60.2520, M),
    ("Baddeck NS", 46.1000, -60.7530, M), ("Key West FL", 24.5551, -81.7800, M), ("Marathon FL", 24.7136, -81.0900, M),
    ("Manhattan NY", 40.7831, -73.9712, M), ("Brooklyn NY", 40.6782, -73.9442, M), ("Montauk NY", 41.0359, -71.9545, M),
    ("Montreal QC", 45.5017, -73.5673, M), ("Laval QC", 45.6066, -73.7124, M), ("Hatteras NC", 35.2193, -75.6902, M),
    ("Galveston TX", 29.3013, -94.7977, M), ("South Padre Island TX", 26.1118, -97.1681, M),
    ("Anacortes WA", 48.5126, -122.6127, M), ("Oak Harbor WA", 48.2932, -122.6432, M),
    ("Bainbridge Island WA", 47.6262, -122.5212, M), ("Mercer Island WA", 47.5707, -122.2221, M),
    ("Ile d'Orleans QC", 46.8870, -71.0650, M), ("Kingston ON", 44.2312, -76.4860, M),
    ("Miami Beach FL", 25.7907, -80.1300, M), ("Ocean City MD", 38.3365, -75.0849, M),
    ("Bar Harbor ME", 44.3876, -68.2039, M), ("Provincetown MA", 42.0584, -70.1786, M),
]

FERRY = [
    ("Victoria BC", 48.4284, -123.3656, "vancouver_island"), ("Nanaimo BC", 49.1659, -123.9401, "vancouver_island"),
    ("Tofino BC", 49.1530, -125.9066, "vancouver_island"), ("Port Hardy BC", 50.7236, -127.4969, "vancouver_island"),
    ("Campbell River BC", 50.0244, -125.2475, "vancouver_island"),
    ("Courtenay BC", 49.6841, -124.9904, "vancouver_island"),
    ("Ganges, Salt Spring BC", 48.8547, -123.5009, "gulf_islands"),
    ("Sturdies Bay, Galiano BC", 48.8770, -123.3170, "gulf_islands"),
    ("Gibsons BC", 49.3975, -123.5050, "sunshine_coast"), ("Sechelt BC", 49.4742, -123.7545, "sunshine_coast"),
    ("Powell River BC", 49.8352, -124.5247, "sunshine_coast"),
    ("St. John's NL", 47.5615, -52.7126, "newfoundland"), ("Corner Brook NL", 48.9490, -57.9503, "newfoundland"),
    ("Gander NL", 48.9540, -54.6103, "newfoundland"), ("Port aux Basques NL", 47.5720, -59.1360, "newfoundland"),
    ("Grand Falls-Windsor NL", 48.9300, -55.6600, "newfoundland"),
    ("St. Anthony NL", 51.3600, -55.5800, "newfoundland"),
    ("Cap-aux-Meules QC", 47.3800, -61.8600, "magdalen_islands"), ("Nantucket MA", 41.2835, -70.0995, "nantucket"),
    ("Edgartown MA", 41.3890, -70.5134, "marthas_vineyard"),
    ("Vineyard Haven MA", 41.4543, -70.6036, "marthas_vineyard"),
    ("Oak Bluffs MA", 41.4543, -70.5620, "marthas_vineyard"),
    ("Friday Harbor WA", 48.5343, -123.0171, "san_juan_islands"),
    ("Eastsound WA", 48.6968, -122.9060, "san_juan_islands"), ("New Shoreham RI", 41.1723, -71.5578, "block_island"),
    ("Vashon WA", 47.4473, -122.4597, "vashon_island"), ("Masset BC", 54.0110, -132.1470, "haida_gwaii"),
    ("Skidegate BC", 53.2650, -131.9900, "haida_gwaii"),
]

NO_ROAD = [
    ("Honolulu HI", 21.3069, -157.8583, "hawaii"), ("Hilo HI", 19.7071, -155.0816, "hawaii"),
    ("Kahului HI", 20.8893, -156.4729, "hawaii"), ("Lihue HI", 21.9811, -159.3711, "hawaii"),
    ("San Juan PR", 18.4655, -66.1057, "puerto_rico"), ("Ponce PR", 18.0111, -66.6141, "puerto_rico"),
    ("Charlotte Amalie VI", 18.3419, -64.9307, "us_virgin_islands"),
    ("Christiansted VI", 17.7466, -64.7032, "us_virgin_islands"),
    ("Hagatna GU", 13.4757, 144.7489, "guam"), ("Garapan MP", 15.2069, 145.7197, "northern_mariana_islands"),
    ("Pago Pago AS", -14.2756, -170.7020, "american_samoa"),
    ("Iqaluit NU", 63.7467, -68.5170, "nunavut"), ("Rankin Inlet NU", 62.8090, -92.0850, "nunavut"),
    ("Cambridge Bay NU", 69.1170, -105.0597, "nunavut"), ("Arviat NU", 61.1080, -94.0580, "nunavut"),
    ("Juneau AK", 58.3019, -134.4197, "southeast_alaska"), ("Sitka AK", 57.0531, -135.3300, "southeast_alaska"),
    ("Ketchikan AK", 55.3422, -131.6461, "southeast_alaska"), ("Petersburg AK", 56.8125, -132.9556, "southeast_alaska"),
    ("Wrangell AK", 56.4708, -132.3767, "southeast_alaska"), ("Craig AK", 55.4764, -133.1483, "southeast_alaska"),
    ("Nome AK", 64.5011, -165.4064, "western_alaska"), ("Bethel AK", 60.7922, -161.7558, "western_alaska"),
    ("Utqiagvik AK", 71.2906, -156.7886, "western_alaska"), ("Kodiak AK", 57.7900, -152.4072, "western_alaska"),
    ("Kotzebue AK", 66.8983, -162.5967, "western_alaska"), ("Dillingham AK", 59.0397, -158.4575, "western_alaska"),
    ("Unalaska AK", 53.8739, -166.5375, "western_alaska"),
    ("Kuujjuaq QC", 58.1030, -68.4180, "nunavik"), ("Kuujjuarapik QC", 55.2820, -77.7560, "nunavik"),
    ("Puvirnituq QC", 60.0390, -77.2830, "nunavik"), ("Inukjuak QC", 58.4530, -78.1020, "nunavik"),
    ("Nain NL", 56.5420, -61.6920, "labrador_north_coast"), ("Hopedale NL", 55.4560, -60.2090, "labrador_north_coast"),
    ("Makkovik NL", 55.0830, -59.1720, "labrador_north_coast"),
    ("Rigolet NL", 54.1790, -58.4300, "labrador_north_coast"),
    ("Moosonee ON", 51.2720, -80.6420, "ontario_far_north"),
    ("Attawapiskat ON", 52.9260, -82.4290, "ontario_far_north"),
    ("Fort Severn ON", 56.0000, -87.6330, "ontario_far_north"),
    ("Sandy Lake ON", 53.0600, -93.3400, "ontario_far_north"),
    ("Big Trout Lake ON", 53.8200, -89.8800, "ontario_far_north"), ("Churchill MB", 58.7684, -94.1650, "churchill"),
]

ROAD_TRAPS = [  # road-connected, next to a land: ferry docks, road ends, the far end of a highway
    ("Horseshoe Bay BC", 49.3760, -123.2730, M), ("West Vancouver BC", 49.3270, -123.1660, M),
    ("Squamish BC", 49.7016, -123.1558, M), ("Whistler BC", 50.1163, -122.9574, M),
    ("Tsawwassen BC", 49.0060, -123.1320, M), ("Prince Rupert BC", 54.3150, -130.3208, M),
    ("Port Angeles WA", 48.1181, -123.4307, M), ("Bellingham WA", 48.7519, -122.4787, M),
    ("Seattle WA", 47.6062, -122.3321, M), ("Tacoma WA", 47.2529, -122.4443, M),
    ("Point Defiance WA", 47.3066, -122.5146, M),
    ("Woods Hole MA", 41.5265, -70.6731, M), ("Hyannis MA", 41.6525, -70.2881, M),
    ("Point Judith RI", 41.3615, -71.4812, M),
    ("Haines AK", 59.2358, -135.4450, M), ("Skagway AK", 59.4583, -135.3139, M), ("Hyder AK", 55.9166, -130.0247, M),
    ("Anchorage AK", 61.2181, -149.9003, M), ("Fairbanks AK", 64.8378, -147.7164, M),
    ("Homer AK", 59.6425, -151.5483, M),
    ("Kenai AK", 60.5544, -151.2583, M), ("Valdez AK", 61.1308, -146.3483, M), ("Deadhorse AK", 70.2002, -148.4597, M),
    ("Tok AK", 63.3367, -142.9856, M), ("Delta Junction AK", 64.0379, -145.7322, M),
    ("Whitehorse YT", 60.7212, -135.0568, M), ("Dawson City YT", 64.0601, -139.4320, M),
    ("Yellowknife NT", 62.4540, -114.3718, M), ("Inuvik NT", 68.3607, -133.7230, M),
    ("Happy Valley-Goose Bay NL", 53.3017, -60.3261, M), ("Labrador City NL", 52.9420, -66.9110, M),
    ("Cartwright NL", 53.7080, -57.0200, M), ("Blanc-Sablon QC", 51.4260, -57.1310, M),
    ("Radisson QC", 53.7900, -77.6170, M), ("Chibougamau QC", 49.9130, -74.3790, M),
    ("Fermont QC", 52.7900, -67.0860, M),
    ("Thompson MB", 55.7435, -97.8558, M), ("Gillam MB", 56.3470, -94.7070, M),
    ("Pickle Lake ON", 51.4710, -90.1880, M), ("Red Lake ON", 51.0120, -93.8270, M),
    ("Cochrane ON", 49.0630, -81.0220, M),
    ("Timmins ON", 48.4770, -81.3300, M), ("Kapuskasing ON", 49.4160, -82.4330, M), ("Hearst ON", 49.6870, -83.6670, M),
]

EDGES = [  # ferry docks, islands folded into a land, and towns either side of a hand-drawn line
    ("Swartz Bay BC", 48.6880, -123.4100, "vancouver_island"),
    ("Departure Bay BC", 49.1930, -123.9550, "vancouver_island"),
    ("Duke Point BC", 49.1630, -123.8910, "vancouver_island"), ("Langdale BC", 49.4346, -123.4713, "sunshine_coast"),
    ("Port Mellon BC", 49.5200, -123.4800, "sunshine_coast"),
    ("Pender Harbour BC", 49.6300, -124.0300, "sunshine_coast"),
    ("Lund BC", 49.9800, -124.7600, "sunshine_coast"), ("Lions Bay BC", 49.4550, -123.2370, M),
    ("Britannia Beach BC", 49.6250, -123.2030, M),
    ("Port Washington, North Pender BC", 48.8120, -123.3200, "gulf_islands"),
    ("Miners Bay, Mayne BC", 48.8530, -123.3000, "gulf_islands"), ("Sandspit BC", 53.2400, -131.8200, "haida_gwaii"),
    ("Tahlequah WA", 47.3316, -122.5070, "vashon_island"), ("Fauntleroy WA", 47.5230, -122.3960, M),
    ("Orcas ferry landing WA", 48.5970, -122.9440, "san_juan_islands"),
    ("Argentia NL", 47.3000, -53.9900, "newfoundland"),
    ("Twillingate NL", 49.6456, -54.7580, "newfoundland"), ("Fogo NL", 49.7150, -54.2740, "newfoundland"),
    ("Wabana, Bell Island NL", 47.6360, -52.9470, "newfoundland"),
    ("Havre-Aubert QC", 47.2400, -61.8400, "magdalen_islands"),
    ("Grande-Entree QC", 47.5500, -61.5500, "magdalen_islands"),
    ("Gustavus AK", 58.4130, -135.7370, "southeast_alaska"),
    ("Yakutat AK", 59.5469, -139.7272, "southeast_alaska"), ("Stewart BC", 55.9380, -129.9880, M),
    ("Tanana AK", 65.1720, -152.0790, "western_alaska"), ("Manley Hot Springs AK", 65.0010, -150.6340, M),
    ("Bettles AK", 66.9180, -151.5200, "western_alaska"), ("Coldfoot AK", 67.2520, -150.1750, M),
    ("Kaktovik AK", 70.1320, -143.6240, "western_alaska"), ("Fort Yukon AK", 66.5650, -145.2740, "western_alaska"),
    ("Circle AK", 65.8256, -144.0606, M), ("Anchor Point AK", 59.7767, -151.8314, M),
    ("Talkeetna AK", 62.3209, -150.1066, M),
    ("Sanikiluaq NU", 56.5420, -79.2250, "nunavut"), ("Schefferville QC", 54.8000, -66.8300, "nunavik"),
    ("Chisasibi QC", 53.7820, -78.9040, M), ("North West River NL", 53.5250, -60.1440, M),
    ("Fort Albany ON", 52.2030, -81.6850, "ontario_far_north"), ("Nakina ON", 50.1700, -86.7100, M),
]

MORE = [  # the rest of each land's towns: every Nunavut and Nunavik community, villages, the other islands
    ("Baker Lake NU", 64.3176, -96.0220, "nunavut"), ("Igloolik NU", 69.3767, -81.7997, "nunavut"),
    ("Pond Inlet NU", 72.6994, -77.9590, "nunavut"), ("Pangnirtung NU", 66.1466, -65.7012, "nunavut"),
    ("Kugluktuk NU", 67.8267, -115.0929, "nunavut"), ("Kinngait NU", 64.2333, -76.5333, "nunavut"),
    ("Gjoa Haven NU", 68.6350, -95.8770, "nunavut"), ("Clyde River NU", 70.4740, -68.5860, "nunavut"),
    ("Arctic Bay NU", 73.0360, -85.1520, "nunavut"), ("Resolute NU", 74.6973, -94.8297, "nunavut"),
    ("Grise Fiord NU", 76.4180, -82.8950, "nunavut"), ("Sanirajak NU", 68.7800, -81.2400, "nunavut"),
    ("Kimmirut NU", 62.8500, -69.8700, "nunavut"), ("Qikiqtarjuaq NU", 67.5580, -64.0260, "nunavut"),
    ("Coral Harbour NU", 64.1360, -83.1640, "nunavut"), ("Chesterfield Inlet NU", 63.3380, -90.7000, "nunavut"),
    ("Whale Cove NU", 62.1730, -92.5780, "nunavut"), ("Naujaat NU", 66.5220, -86.2360, "nunavut"),
    ("Kugaaruk NU", 68.5340, -89.8250, "nunavut"), ("Taloyoak NU", 69.5370, -93.5270, "nunavut"),
    ("Salluit QC", 62.2040, -75.6400, "nunavik"), ("Ivujivik QC", 62.4170, -77.9100, "nunavik"),
    ("Umiujaq QC", 56.5520, -76.5480, "nunavik"), ("Kangiqsualujjuaq QC", 58.6880, -65.9500, "nunavik"),
    ("Akulivik QC", 60.8060, -78.2000, "nunavik"), ("Tasiujaq QC", 58.6980, -69.9330, "nunavik"),
    ("Aupaluk QC", 59.3000, -69.6000, "nunavik"), ("Kangirsuk QC", 60.0200, -70.0300, "nunavik"),
    ("Quaqtaq QC", 61.0470, -69.6300, "nunavik"), ("Kangiqsujuaq QC", 61.5950, -71.9560, "nunavik"),
    ("Postville NL", 54.9060, -59.7820, "labrador_north_coast"),
    ("St. Paul AK", 57.1250, -170.2860, "western_alaska"), ("King Salmon AK", 58.6880, -156.6610, "western_alaska"),
    ("McGrath AK", 62.9560, -155.5960, "western_alaska"), ("Galena AK", 64.7430, -156.9270, "western_alaska"),
    ("Unalakleet AK", 63.8730, -160.7880, "western_alaska"), ("Point Hope AK", 68.3480, -166.8080, "western_alaska"),
    ("Wainwright AK", 70.6370, -160.0380, "western_alaska"),
    ("Anaktuvuk Pass AK", 68.1430, -151.7360, "western_alaska"),
    ("Aniak AK", 61.5780, -159.5220, "western_alaska"), ("Sand Point AK", 55.3400, -160.4970, "western_alaska"),
    ("Cold Bay AK", 55.2040, -162.7180, "western_alaska"), ("Gambell AK", 63.7800, -171.7400, "western_alaska"),
    ("Metlakatla AK", 55.1290, -131.5720, "southeast_alaska"), ("Hoonah AK", 58.1100, -135.4360, "southeast_alaska"),
    ("Angoon AK", 57.5000, -134.5840, "southeast_alaska"), ("Kake AK", 56.9760, -133.9470, "southeast_alaska"),
    ("Pelican AK", 57.9590, -136.2270, "southeast_alaska"),
    ("Peawanuck ON", 54.9870, -85.4330, "ontario_far_north"),
    ("Kashechewan ON", 52.2930, -81.6300, "ontario_far_north"),
    ("Webequie ON", 52.9590, -87.3560, "ontario_far_north"),
    ("Moose Factory ON", 51.2600, -80.6100, "ontario_far_north"),
    ("Kihei HI", 20.7644, -156.4450, "hawaii"), ("Kailua-Kona HI", 19.6400, -155.9969, "hawaii"),
    ("Lanai City HI", 20.8275, -156.9200, "hawaii"), ("Kaunakakai HI", 21.0900, -157.0200, "hawaii"),
    ("Vieques PR", 18.1500, -65.4400, "puerto_rico"), ("Culebra PR", 18.3030, -65.3010, "puerto_rico"),
    ("Cruz Bay VI", 18.3310, -64.7940, "us_virgin_islands"),
    ("Tinian MP", 14.9600, 145.6200, "northern_mariana_islands"),
    ("Rota MP", 14.1500, 145.2000, "northern_mariana_islands"),
    ("Daajing Giids BC", 53.2550, -132.0800, "haida_gwaii"), ("Port Clements BC", 53.6870, -132.1800, "haida_gwaii"),
    ("Siasconset MA", 41.2630, -69.9670, "nantucket"), ("Aquinnah MA", 41.3280, -70.8350, "marthas_vineyard"),
    ("Port Alberni BC", 49.2339, -124.8055, "vancouver_island"),
    ("Ucluelet BC", 48.9420, -125.5460, "vancouver_island"),
    ("Sooke BC", 48.3740, -123.7360, "vancouver_island"), ("Duncan BC", 48.7787, -123.7079, "vancouver_island"),
    ("Parksville BC", 49.3190, -124.3120, "vancouver_island"),
    ("Port McNeill BC", 50.5900, -127.0850, "vancouver_island"),
    ("Stephenville NL", 48.5500, -58.5800, "newfoundland"), ("Deer Lake NL", 49.1740, -57.4270, "newfoundland"),
    ("Clarenville NL", 48.1600, -53.9700, "newfoundland"), ("Bonavista NL", 48.6500, -53.1140, "newfoundland"),
    ("Marystown NL", 47.1670, -55.1480, "newfoundland"), ("Lewisporte NL", 49.2470, -55.0500, "newfoundland"),
    ("Rocky Harbour NL", 49.6600, -57.9100, "newfoundland"),
]

CITIES = [
    ("Los Angeles", 34.0522, -118.2437, M), ("San Francisco", 37.7749, -122.4194, M),
    ("Portland OR", 45.5152, -122.6784, M),
    ("Phoenix", 33.4484, -112.0740, M), ("Salt Lake City", 40.7608, -111.8910, M), ("Denver", 39.7392, -104.9903, M),
    ("Dallas", 32.7767, -96.7970, M), ("Houston", 29.7604, -95.3698, M), ("New Orleans", 29.9511, -90.0715, M),
    ("Chicago", 41.8781, -87.6298, M), ("Minneapolis", 44.9778, -93.2650, M), ("Detroit", 42.3314, -83.0458, M),
    ("Atlanta", 33.7490, -84.3880, M), ("Miami", 25.7617, -80.1918, M), ("Washington DC", 38.9072, -77.0369, M),
    ("Boston", 42.3601, -71.0589, M), ("Vancouver BC", 49.2827, -123.1207, M),
    ("Prince George BC", 53.9171, -122.7497, M),
    ("Calgary", 51.0447, -114.0719, M), ("Edmonton", 53.5461, -113.4938, M), ("Saskatoon", 52.1332, -106.6700, M),
    ("Winnipeg", 49.8951, -97.1384, M), ("Thunder Bay", 48.3809, -89.2477, M), ("Toronto", 43.6532, -79.3832, M),
    ("Ottawa", 45.4215, -75.6972, M), ("Quebec City", 46.8139, -71.2080, M), ("Halifax", 44.6488, -63.5752, M),
    ("Saint John NB", 45.2733, -66.0633, M), ("Baie-Comeau QC", 49.2170, -68.1500, M),
]

TOWNS = BRIDGED_ISLANDS + FERRY + NO_ROAD + ROAD_TRAPS + EDGES + MORE + CITIES
KINDS = {**{key: "ferry" for *_, key in FERRY}, **{key: "no_road" for *_, key in NO_ROAD}, M: "mainland"}


@pytest.mark.parametrize("name,lat,lon,key", TOWNS, ids=[t[0] for t in TOWNS])
def test_town_is_on_its_land(name, lat, lon, key):
    got = land_of(lat, lon)
    assert (got.key, got.kind) == (key, KINDS[key]), f"{name} ({lat}, {lon}) is on {got.name}"


def test_lands_of_agrees_with_land_of():
    lats, lons = [t[1] for t in TOWNS], [t[2] for t in TOWNS]
    assert lands_of(np.array(lats), np.array(lons)) == [land_of(lat, lon) for lat, lon in zip(lats, lons)]
    assert lands_of([], []) == []


def test_every_land_in_the_ferry_table_exists_with_its_kind():
    """The keys are the ferry table's vocabulary: renaming one must break here, not in a route."""
    for key, kind in KINDS.items():
        assert land(key).kind == kind
    assert land("mainland") is MAINLAND and MAINLAND == Land("mainland", "the mainland", "mainland")
    for key in ("us_virgin_islands", "guam", "northern_mariana_islands", "american_samoa"):
        assert land(key).kind == "no_road"
    assert land("vancouver_island").name == "Vancouver Island"


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="vancouver_island"):
        land("atlantis")


def test_longitude_wraps():
    """Hawaii written with an east longitude, Guam with a west one."""
    assert land_of(21.3069, -157.8583 + 360).key == "hawaii"
    assert land_of(13.4757, 144.7489 - 360).key == "guam"
