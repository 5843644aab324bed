#!/usr/bin/env python3
"""Places: the geocoder and the map, measured against the figures of issue 17 and beside a reference.

1. Geocoding: POSITIONS positions within about 20 km of GeoNames' places (where photos are taken; a fixed seed),
   placed by `photosd geocode --bench --from FILE` on one thread, and by the PyPI package `reverse-geocode` (the
   reference geocoder of the Places test, target/geoenv) on the same positions in the same run. Printed:
   positions per second, load time, and the memory each adds to its process.
2. The map: a generated library of ITEMS photos with positions (around 2,000 of the data's places, spread as
   photos are), served by `photosd serve`; `PHOTOSD.Foto.Map list` timed over REQUESTS calls each for the
   whole world (zoom 0 and 2) and the busiest place (zoom 12): p50 and p99, the first call (which reads the positions), and
   the daemon's memory before and after. Beside it, the same world clusters computed by SQLite itself on the
   same database (a GROUP BY over the grid cells, what a plain SQL implementation does).

    tests/bench/places_bench.py [--positions 1000000] [--items 1000000] [--requests 200] [--dir /tmp/photosd-places-bench]

Run as root (it makes the account the daemon logs in).
"""
import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from benchlib import PHOTOSD, ROOT, add_personal_space, new_library, start_daemon, tree_rss_kb

GEO = os.path.join(ROOT, "target", "geo")
REFERENCE_PYTHON = os.path.join(ROOT, "target", "geoenv", "bin", "python")
USER, PASSWORD = "pdb-places", "places-Pa55word"


def places():
    import csv
    with open(os.path.join(GEO, "cities.csv"), encoding="utf-8") as f:
        return [(float(r["lat"]), float(r["lon"]), int(r["population"] or 0)) for r in csv.DictReader(f)]


def positions_file(path, count, rng, known):
    with open(path, "w") as f:
        for _ in range(count):
            lat, lon, _ = known[rng.randrange(len(known))]
            f.write(f"{max(-90, min(90, lat + rng.uniform(-0.2, 0.2))):.6f},"
                    f"{max(-180, min(180, lon + rng.uniform(-0.2, 0.2))):.6f}\n")


REFERENCE = r"""
import resource, sys, time
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS:')][0].split()[1])
positions = [tuple(map(float, l.split(','))) for l in open(sys.argv[1])]
before = rss(); t = time.monotonic()
import reverse_geocode
reverse_geocode.search(positions[:1])
load = time.monotonic() - t; added = (rss() - before) / 1024
t = time.monotonic(); found = reverse_geocode.search(positions); took = time.monotonic() - t
print(f"  reference reverse-geocode {reverse_geocode.__version__ if hasattr(reverse_geocode, '__version__') else '1.6.6'}: "
      f"loaded in {load * 1000:.0f} ms, adds {added:.1f} MiB; {len(positions)} positions in {took * 1000:.0f} ms: "
      f"{len(positions) / took:.0f} positions/s ({took * 1e6 / len(positions):.2f} µs each)")
"""


def bench_geocoder(base, count, rng, known):
    path = os.path.join(base, "positions.txt")
    positions_file(path, count, rng, known)
    print(f"\n## Geocoding {count} positions near GeoNames' places (one thread)\n")
    cmd = [PHOTOSD, "geocode", "--bench", "--from", path]
    print("$ PHOTOSD_PLACES_DATA_DIR=target/geo " + " ".join(cmd))
    subprocess.run(cmd, check=True, env=dict(os.environ, PHOTOSD_PLACES_DATA_DIR=GEO))
    # The reference runs with numpy's threads held to one, as photosd's bench runs on one thread.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    subprocess.run([REFERENCE_PYTHON, "-c", REFERENCE, path], check=True, env=env)


def generate(base, items, rng, known):
    homes = os.path.join(base, "homes")
    shutil.rmtree(homes, ignore_errors=True)
    data, db = new_library(base)
    now = int(time.time())
    root = os.path.join(homes, USER, "Photos")
    uid = int(subprocess.run(["id", "-u", USER], capture_output=True, text=True, check=True).stdout)
    space, folders = add_personal_space(db, uid, USER, root, now, 100)
    for f in range(100):
        os.makedirs(os.path.join(root, f"{f:03}"), exist_ok=True)
    # Photos cluster where people live and travel: 2,000 places, weighted by population, spread over a few km.
    hubs = rng.choices(known, weights=[p + 1000 for _, _, p in known], k=2000)
    batch = []
    for n in range(items):
        lat, lon, _ = hubs[int(rng.paretovariate(1.2)) % len(hubs)]
        lat = max(-85, min(85, lat + rng.gauss(0, 0.03)))
        lon = max(-180, min(180, lon + rng.gauss(0, 0.03)))
        batch.append((space, folders[n % 100], f"IMG_{n:07}.jpg", 0, 0, "photo", "image/jpeg", 4000, 3000, 1,
                      rng.randrange(1_300_000_000, 1_700_000_000), now, now, "ready", f"{n:064x}", lat, lon))
        if len(batch) == 50_000:
            insert(db, batch)
    insert(db, batch)
    db.commit()
    db.close()
    # The busiest place (the Pareto draw, 1 or more, favours the second hub), for the city view.
    return data, os.path.join(homes, "*", "Photos"), hubs[1]


def insert(db, batch):
    db.executemany(
        "INSERT INTO item (space_id, folder_id, filename, size, mtime_ns, type, mime, width, height, orientation,"
        " taken_ts, added_at, indexed_at, thumb_state, hash, latitude, longitude)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    batch.clear()


class Client:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/photo/webapi/entry.cgi"
        self.sid = self.call("SYNO.API.Auth", "login", 7, account=USER, passwd=PASSWORD)["sid"]

    def call(self, api, method, version, **params):
        params = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()}
        if getattr(self, "sid", None):
            params["_sid"] = self.sid
        body = urllib.parse.urlencode(dict(api=api, method=method, version=version, **params)).encode()
        with urllib.request.urlopen(self.base, body, timeout=120) as r:
            answer = json.load(r)
        if not answer.get("success"):
            raise RuntimeError(f"{api} {method}: {answer}")
        return answer.get("data", {})


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1)]


def bench_map(base, items, requests, rng, known):
    print(f"\n## The map on {items} photos with a position\n")
    data, pattern, busiest = generate(base, items, rng, known)
    daemon, port = start_daemon(base, data, pattern, PHOTOSD_PLACES_ENABLED="false")
    try:
        client = Client(port)
        time.sleep(5)
        idle = tree_rss_kb(daemon.pid)
        world = {"south": -90, "west": -180, "north": 90, "east": 180}
        t = time.monotonic()
        first = client.call("PHOTOSD.Foto.Map", "list", 1, zoom="0", area=world)
        print(f"first call (reads {first['total']} positions into memory): {(time.monotonic() - t) * 1000:.0f} ms; "
              f"daemon RSS {idle / 1024:.0f} MiB before, {tree_rss_kb(daemon.pid) / 1024:.0f} MiB after")
        lat, lon, _ = busiest
        city = {"south": lat - 0.15, "west": lon - 0.25, "north": lat + 0.15, "east": lon + 0.25}
        print("| view | clusters | p50 ms | p99 ms |\n|---|---|---|---|")
        for name, zoom, area in [("world, zoom 0", "0", world), ("world, zoom 2", "2", world),
                                 (f"the busiest place ({lat:.2f}, {lon:.2f}), zoom 12", "12", city)]:
            times, answer = [], None
            for _ in range(requests):
                t = time.monotonic()
                answer = client.call("PHOTOSD.Foto.Map", "list", 1, zoom=zoom, area=area)
                times.append((time.monotonic() - t) * 1000)
            print(f"| {name} | {len(answer['list'])} | {statistics.median(times):.1f} | {percentile(times, 99):.1f} |")
    finally:
        daemon.terminate()
        daemon.wait()
    # The reference: SQLite grouping the same positions into the same grid (zoom 2: 16 cells across).
    db = sqlite3.connect(os.path.join(data, "library.db"))
    times = []
    for _ in range(5):
        t = time.monotonic()
        db.execute("SELECT CAST((longitude + 180) / 360 * 16 AS INT) gx, CAST((latitude + 90) / 180 * 16 AS INT) gy,"
                   " count(*), avg(latitude), avg(longitude), max(id) FROM item WHERE space_id = 1 AND"
                   " latitude IS NOT NULL AND state <> 'missing' AND live_photo_id IS NULL GROUP BY gx, gy").fetchall()
        times.append((time.monotonic() - t) * 1000)
    print(f"\nreference, SQLite's GROUP BY over the same {items} positions (world, 16 cells across): "
          f"median {statistics.median(times):.0f} ms of 5")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--positions", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--dir", default="/tmp/photosd-places-bench")
    args = ap.parse_args()
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)
    os.makedirs(args.dir, exist_ok=True)
    rng = random.Random(17)
    known = places()
    print(f"$ {' '.join(sys.argv)}")
    bench_geocoder(args.dir, args.positions, rng, known)
    bench_map(args.dir, args.items, args.requests, rng, known)


if __name__ == "__main__":
    main()
