#!/usr/bin/env python3
"""The independent reverse geocoder the Places test compares photosd with: the PyPI package `reverse-geocode`
(its own GeoNames snapshot, nearest place by k-d tree, country names from its own table), run on the same
positions photosd read from the files.

Reads JSON [[lat, lon], ...] on stdin; writes JSON [{country_code, country, state, county, city, km}, ...], the
names folded to ASCII (photosd's data is ASCII) and `km` the distance to the place it chose."""
import json
import math
import sys
import unicodedata

import reverse_geocode


def ascii_fold(text):
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()


def km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(d))


def main():
    positions = json.load(sys.stdin)
    found = reverse_geocode.search([tuple(p) for p in positions]) if positions else []
    out = []
    for (lat, lon), place in zip(positions, found):
        out.append({
            "country_code": place.get("country_code", ""),
            "country": ascii_fold(place.get("country")),
            "state": ascii_fold(place.get("state")),
            "county": ascii_fold(place.get("county")),
            "city": ascii_fold(place.get("city")),
            "km": round(km(lat, lon, place["latitude"], place["longitude"]), 2),
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
