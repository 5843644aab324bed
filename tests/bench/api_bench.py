#!/usr/bin/env python3
"""API latency on a large library: generates a library database of ITEMS items across USERS Personal Spaces,
starts `photosd serve` on it, logs in as the first user (a real account, through PAM), and measures with `hey`
(8 connections) the latency of `Browse.Item list` (limit 100, by date taken, at the first, middle and last page)
and `Browse.Timeline get`. Also prints the daemon's RSS when idle. Run as root (it makes the account).

    tests/bench/api_bench.py [--items 1000000] [--users 10] [--dir /tmp/photosd-api-bench] [--requests 2000]
                             [--while-indexing] [--bench-set target/bench-set] [--condition-album]

--condition-album also makes a condition album that holds every photo of the user's space (their camera, as a
condition: items/users photos, 100,000 by default), and measures listing it (first, middle and last page),
counting it, and listing the user's albums with it.

--while-indexing runs the same requests a second time while the daemon indexes the benchmark set at full speed:
its photos are dropped into the user's Photos folder, round after round (each round's JPEGs made unique by a
trailer after the image, so that every one is hashed and thumbnailed anew), until the requests are done. The
indexing rate of that window (items imported and thumbnails made per second) is printed beside the latencies.

Only the first user's files exist on disk (empty files, matching the database, so the start-up scan finds
nothing to do); the other users' spaces exist only in the database, which is what the queries read.
"""
import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import json

import threading

from benchlib import PHOTOSD, ROOT, add_personal_space, ensure_bench_set, start_daemon

USER, PASSWORD = "pdb-bench", "bench-Pa55word"
FOLDERS = 100


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    if not shutil.which("hey"):
        sh("apt-get", "install", "-y", "-qq", "hey", stdout=subprocess.DEVNULL)
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        sh("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)


def generate(base, items, users):
    data, homes = os.path.join(base, "data"), os.path.join(base, "homes")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(data)
    # The schema, exactly as the daemon makes it: an index run over no spaces at all.
    sh(PHOTOSD, "index", "--data", data, "--personal-pattern", os.path.join(base, "none", "*", "Photos"),
       "--shared", "", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data, "library.db"))
    db.execute("PRAGMA synchronous = OFF")
    now = int(time.time())
    per_user = items // users
    rng = random.Random(42)
    first_root = os.path.join(homes, USER, "Photos")
    for u in range(users):
        name = USER if u == 0 else f"pdb-ghost{u}"
        root = os.path.join(homes, name, "Photos")
        uid = 60000 + u
        space, folder_ids = add_personal_space(db, uid, name, root, now, FOLDERS)
        rows = []
        for n in range(per_user):
            taken = rng.randrange(1_300_000_000, 1_700_000_000)
            mtime_ns = 1_600_000_000 * 1_000_000_000
            rows.append((space, folder_ids[n % FOLDERS], f"IMG_{n:07}.jpg", 0, mtime_ns, "photo", "image/jpeg",
                         4000, 3000, 1, taken, "Canon", "Canon EOS R5", now, now, "ready", f"{n:064x}"))
        db.executemany(
            "INSERT INTO item (space_id, folder_id, filename, size, mtime_ns, type, mime, width, height, orientation,"
            " taken_ts, make, model, added_at, indexed_at, thumb_state, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows)
        if u == 0:
            for f in range(FOLDERS):
                os.makedirs(os.path.join(first_root, f"{f:03}"), exist_ok=True)
            for n in range(per_user):
                path = os.path.join(first_root, f"{n % FOLDERS:03}", f"IMG_{n:07}.jpg")
                with open(path, "wb"):
                    pass
                os.utime(path, ns=(1_600_000_000 * 1_000_000_000, 1_600_000_000 * 1_000_000_000))
        db.commit()
        print(f"  space {u + 1}/{users}: {per_user} items", file=sys.stderr)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return data, os.path.join(homes, "*", "Photos")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def hey(url, requests):
    out = sh("hey", "-n", str(requests), "-c", "8", url, capture_output=True, text=True).stdout
    pct = {m.group(1): float(m.group(2)) * 1000 for m in re.finditer(r"(\d+)%% in ([\d.]+) secs".replace("%%", "%"), out)}
    errors = re.search(r"Status code distribution:\s*\n\s*\[200\]\s*(\d+)", out)
    return pct.get("50"), pct.get("99"), int(errors.group(1)) if errors else 0


class Feeder(threading.Thread):
    """Drops the benchmark set's photos into `root`, a round at a time, until stopped."""

    def __init__(self, bench_set, root):
        super().__init__(daemon=True)
        self.photos = [os.path.join(bench_set, sub, name) for sub in ("jpeg", "heic")
                       for name in sorted(os.listdir(os.path.join(bench_set, sub)))]
        self.root, self.stop, self.files = root, threading.Event(), 0

    def run(self):
        rounds = 0
        while not self.stop.is_set():
            folder = os.path.join(self.root, "incoming", f"round{rounds:03}")
            os.makedirs(folder)
            for path in self.photos:
                if self.stop.is_set():
                    return
                name = os.path.basename(path)
                if rounds and not name.lower().endswith(".jpg"):
                    continue  # HEIC files only in the first round: a trailer is not theirs to carry
                with open(path, "rb") as f:
                    data = f.read()
                if rounds:
                    data += f"round {rounds}".encode()  # after the JPEG's end: a new hash, the same picture
                tmp = os.path.join(folder, "." + name)
                with open(tmp, "wb") as f:
                    f.write(data)
                os.rename(tmp, os.path.join(folder, name))
                self.files += 1
                time.sleep(0.02)
            rounds += 1


def indexed(data):
    """(items under incoming/, their thumbnails ready), read from the library database."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'library.db')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*), coalesce(sum(i.thumb_state = 'ready'), 0) FROM item i JOIN folder f"
                          " ON f.id = i.folder_id WHERE f.path LIKE 'incoming/%'").fetchone()
    finally:
        db.close()


def measure(base, sid, per_user, requests):
    rows = []
    for label, offset in [("first page", 0), ("middle page", per_user // 2), ("last page", per_user - 100)]:
        url = (f"{base}?api=SYNO.Foto.Browse.Item&version=5&method=list&limit=100&offset={offset}"
               f"&sort_by=takentime&sort_direction=desc&additional=%5B%22thumbnail%22%5D&_sid={sid}")
        rows.append((f"Browse.Item list, limit 100, by date, {label} (offset {offset})", *hey(url, requests)))
    for unit in ["day", "month"]:
        url = f"{base}?api=SYNO.Foto.Browse.Timeline&version=5&method=get&timeline_group_unit=%22{unit}%22&_sid={sid}"
        rows.append((f"Browse.Timeline get ({unit})", *hey(url, requests)))
    return rows


def measure_condition_album(base, sid, token, per_user, requests):
    """Makes a condition album of every photo the user has (by camera) and measures reading it."""
    filters = json.load(urllib.request.urlopen(f"{base}?api=SYNO.Foto.Search.Filter&version=2&method=list&_sid={sid}"))
    camera = filters["data"]["camera"][0]["id"]
    form = urllib.parse.urlencode({"api": "SYNO.Foto.Browse.ConditionAlbum", "version": 1, "method": "create",
                                   "name": '"Every photo"', "condition": json.dumps({"camera": [camera]}),
                                   "_sid": sid}).encode()
    request = urllib.request.Request(base, form, headers={"X-SYNO-TOKEN": token})
    created = json.load(urllib.request.urlopen(request))
    if not created.get("success"):
        sys.exit(f"cannot create the condition album: {created}")
    album = created["data"]["album"]
    if album["item_count"] != per_user:
        sys.exit(f"the condition album holds {album['item_count']} photos, not {per_user}")
    rows = []
    for label, offset in [("first page", 0), ("middle page", per_user // 2), ("last page", per_user - 100)]:
        url = (f"{base}?api=SYNO.Foto.Browse.Item&version=5&method=list&album_id={album['id']}&limit=100"
               f"&offset={offset}&sort_by=takentime&sort_direction=desc&additional=%5B%22thumbnail%22%5D&_sid={sid}")
        rows.append((f"condition album of {per_user}: Browse.Item list album_id, limit 100, {label}", *hey(url, requests)))
    url = f"{base}?api=SYNO.Foto.Browse.Item&version=5&method=count&album_id={album['id']}&_sid={sid}"
    rows.append((f"condition album of {per_user}: Browse.Item count album_id", *hey(url, requests)))
    url = f"{base}?api=SYNO.Foto.Browse.Album&version=4&method=list&offset=0&limit=100&_sid={sid}"
    rows.append(("Browse.Album list (the condition album's count and cover)", *hey(url, requests)))
    return rows


def table(rows, requests):
    print("| request | p50 ms | p99 ms | 200 answers |")
    print("|---|---|---|---|")
    for label, p50, p99, ok in rows:
        print(f"| {label} | {p50:.1f} | {p99:.1f} | {ok}/{requests} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--dir", default="/tmp/photosd-api-bench")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--while-indexing", action="store_true", help="measure again while the bench set is indexed")
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--condition-album", action="store_true", help="measure a condition album of every photo")
    args = ap.parse_args()
    ensure_tools()
    if args.while_indexing:
        ensure_bench_set(args.bench_set)
    print(f"generating {args.items} items in {args.users} spaces under {args.dir}", file=sys.stderr)
    data, pattern = generate(args.dir, args.items, args.users)
    daemon, port = start_daemon(args.dir, data, pattern)
    try:
        base = f"http://127.0.0.1:{port}/photo/webapi/entry.cgi"
        form = urllib.parse.urlencode({"api": "SYNO.API.Auth", "version": 7, "method": "login", "account": USER,
                                       "passwd": PASSWORD, "format": "sid", "enable_syno_token": "yes"}).encode()
        session = json.load(urllib.request.urlopen(base, form))["data"]
        sid, token = session["sid"], session.get("synotoken", "")
        count = json.load(urllib.request.urlopen(f"{base}?api=SYNO.Foto.Browse.Item&version=5&method=count&_sid={sid}"))
        per_user = count["data"]["count"]
        time.sleep(3)
        idle = rss_mb(daemon.pid)
        rows = measure(base, sid, per_user, args.requests)
        if args.condition_album:
            rows += measure_condition_album(base, sid, token, per_user, args.requests)
        after = rss_mb(daemon.pid)
        busy = None
        if args.while_indexing:
            feeder = Feeder(args.bench_set, os.path.join(args.dir, "homes", USER, "Photos"))
            feeder.start()
            time.sleep(5)  # the watcher's debounce, and the workers at work
            before, started = indexed(data), time.monotonic()
            busy = measure(base, sid, per_user, args.requests)
            after_busy, seconds = indexed(data), time.monotonic() - started
            feeder.stop.set()
            feeder.join()
            rate = ((after_busy[0] - before[0]) / seconds, (after_busy[1] - before[1]) / seconds)
    finally:
        daemon.terminate()
        daemon.wait()
    print(f"\ncommand: tests/bench/api_bench.py --items {args.items} --users {args.users} --requests {args.requests}"
          + (" --while-indexing" if args.while_indexing else "") + (" --condition-album" if args.condition_album else ""))
    print(f"library: {args.items} items in {args.users} spaces; the logged-in user's space holds {per_user}\n")
    print("idle:\n")
    table(rows, args.requests)
    print(f"\nRSS of the daemon: {idle:.0f} MB idle after start and login, {after:.0f} MB after the runs")
    if busy is not None:
        print(f"\nwhile indexing ({feeder.files} photos dropped in; over the {seconds:.0f} s of requests, "
              f"{rate[0]:.1f} photos imported/s and {rate[1]:.1f} thumbnailed/s):\n")
        table(busy, args.requests)


if __name__ == "__main__":
    main()
