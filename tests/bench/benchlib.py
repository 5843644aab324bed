"""What the benchmark scripts share: where things are, and timing a command with its children's CPU."""
import os
import resource
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
PHOTOSD = os.path.join(ROOT, "target", "release", "photosd")


def timed(cmd, check=True, output=None):
    """Runs cmd; returns (wall seconds, CPU seconds of it and all its children). `output`, a list, gets stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    # exiftool exits 1 when some files have errors (the malformed corpus): that is not a failed run.
    stdout = subprocess.PIPE if output is not None else subprocess.DEVNULL
    done = subprocess.run(cmd, check=check, stdout=stdout, stderr=subprocess.DEVNULL, text=output is not None)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if output is not None:
        output.append(done.stdout)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ensure_bench_set(path):
    """Builds the shared benchmark set at `path` unless it is there."""
    if not os.path.isdir(os.path.join(path, "jpeg")):
        subprocess.run([os.path.join(SHARED, "bench", "make-bench-set.sh"), path], check=True)


def start_daemon(base, data, pattern, **env_extra):
    """Starts `photosd serve` on a generated library (logging to BASE/daemon.log), with extra environment
    `env_extra`; returns (process, port) once it has bound a free port and reconciled the spaces."""
    import re
    log_path = os.path.join(base, "daemon.log")
    env = dict(os.environ, PHOTOSD_SERVER_LISTEN="127.0.0.1:0", RUST_LOG="info")
    env.update(env_extra)
    env.pop("PHOTOSD_CONFIG", None)
    daemon = subprocess.Popen([PHOTOSD, "serve", "--data", data, "--personal-pattern", pattern, "--shared", "",
                               "--min-uid", "0"], stderr=open(log_path, "w"), env=env)
    for _ in range(600):
        text = open(log_path).read()
        m = re.search(r"listening.*?127\.0\.0\.1:(\d+)", text)
        if m and "reconciled" in text:
            return daemon, m.group(1)
        time.sleep(0.1)
    daemon.terminate()
    raise RuntimeError(f"the daemon did not start (see {log_path})")


def new_library(base):
    """An empty library at BASE/data, its schema exactly as the daemon makes it (an index run over no spaces),
    opened for fast generation; returns (data dir, sqlite3 connection)."""
    import shutil
    import sqlite3
    data = os.path.join(base, "data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    subprocess.run([PHOTOSD, "index", "--data", data, "--personal-pattern", os.path.join(base, "none", "*", "Photos"),
                    "--shared", ""], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data, "library.db"))
    db.execute("PRAGMA synchronous = OFF")
    return data, db


def add_personal_space(db, uid, name, root, now, folders):
    """Writes a Personal Space straight into a library database being generated (`db`, sqlite3), with its root
    folder and `folders` folders under it named 000, 001...; returns (space id, folder ids)."""
    db.execute("INSERT INTO space (kind, owner_uid, owner_name, root, created_at) VALUES ('personal', ?, ?, ?, ?)",
               (uid, name, root, now))
    space = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    db.execute("INSERT INTO folder (space_id, parent_id, name, path, created_at) VALUES (?, NULL, '', '', ?)",
               (space, now))
    parent = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    folder_ids = []
    for f in range(folders):
        db.execute("INSERT INTO folder (space_id, parent_id, name, path, created_at) VALUES (?, ?, ?, ?, ?)",
                   (space, parent, f"{f:03}", f"{f:03}", now))
        folder_ids.append(db.execute("SELECT last_insert_rowid()").fetchone()[0])
    return space, folder_ids


def descendants(pid):
    """A process and all its descendants, by pid."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        stack.extend(children.get(p, []))
    return found


def tree_rss_kb(pid):
    """RSS of a process and all its descendants, in KiB."""
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total
