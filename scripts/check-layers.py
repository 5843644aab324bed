#!/usr/bin/env python3
"""The layering of the photosd crate, checked: which module imports which.

Every `crate::` and `super::` path in daemon/src is resolved to the file that defines the module it names, and
the file-level graph must have no cycle; the layers must only import downwards (see docs/architecture.md):
`domain` imports nothing of photosd, `db` imports neither `service` nor `api`, `service` does not import `api`.

Usage: scripts/check-layers.py [--graph]   (exit status 1 on any cycle or upward import)
"""
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon", "src")

# What a layer may not import (top-level module names).
FORBIDDEN = {
    "domain": {"*"},
    "db": {"service", "api", "http", "app", "jobs", "watch", "worker"},
    "media": {"db", "service", "api", "http", "app", "jobs", "watch", "ml"},
    "ml": {"db", "service", "api", "http", "app", "jobs", "watch", "worker"},
    "geo": {"db", "service", "api", "http", "app", "jobs", "watch", "worker", "media", "ml"},
    "service": {"api", "http"},
    "config": {"service", "api", "db", "http", "app"},
}


def module_files():
    files = {}
    for dirpath, _, names in os.walk(SRC):
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.relpath(os.path.join(dirpath, name), SRC)
            parts = path[:-3].split(os.sep)
            if parts[-1] in ("mod", "main", "lib"):
                parts = parts[:-1]
            files[tuple(parts)] = path
    return files


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def strip_tests(text):
    """Drops `#[cfg(test)] mod tests { ... }`: test code may reach anywhere."""
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[: m.start()] if m else text


def paths_in(text):
    """Every module path the text names, with `use a::{b, c::d}` expanded one level deep."""
    out = []
    pattern = r"\b((?:crate|super)(?:::\w+)*)::\{([^{}]*)\}|\b((?:crate|super)(?:::\w+)+)"
    for m in re.finditer(pattern, text):
        base = (m.group(1) or m.group(3)).split("::")
        if m.group(2):
            for item in m.group(2).split(","):
                item = item.strip().split(" as ")[0].strip()
                if item and item != "self":
                    out.append(base + item.split("::"))
                elif item == "self":
                    out.append(base)
        else:
            out.append(base)
    return out


def resolve(path, here, files):
    """The file of the deepest module that `path` (as written in module `here`) names."""
    if path[0] == "crate":
        parts = path[1:]
    else:
        current = list(here)
        i = 0
        while i < len(path) and path[i] == "super":
            current = current[:-1]
            i += 1
        parts = current + path[i:]
    for n in range(len(parts), 0, -1):
        if tuple(parts[:n]) in files:
            return tuple(parts[:n])
    return None


def main():
    files = module_files()
    graph = {m: set() for m in files}
    for module, path in files.items():
        text = strip_tests(strip_comments(open(os.path.join(SRC, path)).read()))
        is_mod_file = os.path.basename(path) in ("mod.rs", "main.rs")
        # In a non-mod file, `super` is the parent module; in mod.rs it is the grandparent: resolve from the
        # module itself (for mod.rs) or from the file's module (otherwise); both are `module` here.
        for p in paths_in(text):
            target = resolve(p, module if not is_mod_file else module, files)
            if target is None or target == module:
                continue
            # A module's own children are its to import (a parent declares them).
            graph[module].add(target)
    problems = []
    for module, targets in graph.items():
        if not module:
            continue
        banned = FORBIDDEN.get(module[0], set())
        for t in targets:
            if t and (("*" in banned and t[0] != module[0]) or t[0] in banned):
                problems.append(f"layer: {files[module]} imports {files[t]}")
    # Cycles among files, children excluded from their parents' edges (mod.rs re-exports its children).
    def edges(m):
        return [t for t in graph[m] if not (len(t) > len(m) and t[: len(m)] == m) and t != ()]
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges(v):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(scc)

    for v in graph:
        if v and v not in index:
            strong(v)
    for scc in sccs:
        problems.append("cycle: " + " <-> ".join(sorted(files[m] for m in scc)))
    if "--graph" in sys.argv:
        for m in sorted(graph):
            print(files[m], "->", ", ".join(sorted(files[t] for t in edges(m))))
    for p in problems:
        print(p)
    print(f"{len(files)} modules, {sum(len(edges(m)) for m in graph if m)} imports, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
