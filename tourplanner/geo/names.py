"""Name normalisation so people find their town however they spell it (St./Saint, accents, hyphens)."""

from __future__ import annotations

import re
import unicodedata

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip

CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip

# GeoNames admin1 codes for Canada are numbers, not postal abbreviations.
GEONAMES_CA_ADMIN1 = {
    "01": "AB", "02": "BC", "03": "MB", "04": "NB", "05": "NL", "07": "NS", "08": "ON",
    "09": "PE", "10": "QC", "11": "SK", "12": "YT", "13": "NT", "14": "NU",
}  # fmt: skip

# The first letter of a Canadian postal code names its province (X is shared by NT and NU).
CA_POSTAL_LETTER = {
    "A": ("NL",), "B": ("NS",), "C": ("PE",), "E": ("NB",), "G": ("QC",), "H": ("QC",),
    "J": ("QC",), "K": ("ON",), "L": ("ON",), "M": ("ON",), "N": ("ON",), "P": ("ON",),
    "R": ("MB",), "S": ("SK",), "T": ("AB",), "V": ("BC",), "X": ("NT", "NU"), "Y": ("YT",),
}  # fmt: skip

REGIONS = {"US": US_STATES, "CA": CA_PROVINCES}

_EXTRA_REGION_NAMES = {
    "CA": {"pq": "QC", "que": "QC", "nfld": "NL", "nf": "NL", "newfoundland": "NL", "labrador": "NL",
           "pei": "PE", "yk": "YT", "yukon territory": "YT", "nwt": "NT", "sask": "SK", "alta": "AB",
           "man": "MB", "ont": "ON", "colombie britannique": "BC", "nouveau brunswick": "NB",
           "nouvelle ecosse": "NS", "ile du prince edouard": "PE", "terre neuve et labrador": "NL",
           "territoires du nord ouest": "NT"},
    "US": {"wash": "WA", "calif": "CA", "mass": "MA", "penn": "PA", "penna": "PA"},
}  # fmt: skip

_COUNTRY_NAMES = {
    "us": "US", "usa": "US", "u s": "US", "u s a": "US", "united states": "US",
    "united states of america": "US", "america": "US", "ca": "CA", "can": "CA", "canada": "CA",
}  # fmt: skip

# Abbreviations people type for the words in place names; the index stores the long form.
_WORD_FORMS = {
    "st": "saint", "ste": "sainte", "mt": "mount", "mtn": "mountain", "ft": "fort",
    "pt": "point", "n": "north", "s": "south", "e": "east", "w": "west",
}  # fmt: skip

_PUNCT = re.compile(r"[^a-z0-9 ]+")


def fold(text: str) -> str:
    """Lower-case ASCII without accents: Montréal -> montreal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def normalize_place(name: str) -> str:
    """The key a place name is filed under: accents, hyphens, dots, spaces and St./Mt./Ft. all folded.

    Spaces are dropped so 'Coeur d'Alene' / 'Coeur d Alene' and 'LaSalle' / 'La Salle' meet.
    """
    text = fold(name).replace("'", "").replace("\u2019", "")
    text = _PUNCT.sub(" ", text)
    words = [_WORD_FORMS.get(w, w) for w in text.split()]
    if words[:2] == ["city", "of"] and len(words) > 2:
        words = words[2:]
    return "".join(words)


def normalize_country(country: str) -> str:
    """'US'/'USA'/'Canada' -> 'US'/'CA'; '' when unknown."""
    return _COUNTRY_NAMES.get(_PUNCT.sub(" ", fold(country or "")).strip(), "")


def _region_lookup() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for country, regions in REGIONS.items():
        names = {code.lower(): code for code in regions}
        names.update({normalize_place(name): code for code, name in regions.items()})
        names.update({normalize_place(name): code for name, code in _EXTRA_REGION_NAMES[country].items()})
        table[country] = names
    return table


_REGION_LOOKUP = _region_lookup()


def normalize_region(country: str, region: str) -> str:
    """'Illinois'/'IL'/'Québec'/'PQ' -> the two-letter code; '' when not a region of that country."""
    code = (region or "").strip().upper().rstrip(".")
    if code in REGIONS.get(country, {}):
        return code  # before folding, which would read 'MT' as 'mount'
    key = normalize_place(region or "")
    return _REGION_LOOKUP.get(country, {}).get(key, "")


def region_countries(region: str) -> list[str]:
    """The countries that have a region of this name or code (CA is both California and Canada)."""
    return [c for c in REGIONS if normalize_region(c, region)]


def is_usable_alternate(name: str) -> bool:
    """Alternate names worth indexing: capitalised Latin-script names, not IATA codes such as 'YMQ'.

    GeoNames' lower-case alternates are transliterations from other scripts ('bwstn' for Boston).
    """
    if len(name) < 3 or (name.isupper() and len(name) <= 4) or not name[0].isupper():
        return False
    if any(ch.isdigit() for ch in name):
        return False
    return all(ord(c) < 0x250 or unicodedata.combining(c) for c in unicodedata.normalize("NFKD", name))
