#!/usr/bin/env python3
"""Checks the shape the architecture issue asks for, and prints the figures.

- No import circles between the modules of one crate. An edge A -> B is any path `crate::B…`, `super::…` or `child::…`
  written in A's file outside its `#[cfg(test)]` module. A module's declaration of its children (`mod x;`) is not an edge;
  using an item of a child is.
- No function longer than MAX_FN lines (from its `fn` line to its closing brace, tests included).
- The median source file is at most MAX_MEDIAN lines.

Exit status 1 when any rule is broken. A rough parser (strings and comments are skipped, braces counted): good
enough for this tree, and simple enough to read.
"""

import os
import re
import statistics
import sys

MAX_FN = 80
MAX_MEDIAN = 150
CRATES = ["shared/src", "server/src", "client/src", "tools/src", "xlsform/src"]


def module_of(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel == ["main"] and os.path.exists(os.path.join(root, "lib.rs")):
        return None  # a binary beside a library is a crate of its own
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    if rel and rel[0] == "bin":
        return None  # each binary is its own crate root
    return tuple(rel)


def strip(src):
    """Source with comments and string/char literals blanked (line breaks kept)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            end = '"' + hashes
            j = src.find(end, i + len(hashes) + 2)
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", src[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", src[i:i + 12])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def without_tests(code):
    """Drops `#[cfg(test)] mod … { … }` blocks."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[: m.start()] + "\n" * code.count("\n", m.start(), j) + code[j:]


def functions(code):
    """(name, first line, length in lines) of every fn with a body."""
    found = []
    for m in re.finditer(r"\bfn\s+(\w+)", code):
        j = m.end()
        depth_paren = 0
        while j < len(code):
            ch = code[j]
            if ch in "([<":
                depth_paren += 1
            elif ch in ")]>" and depth_paren:
                depth_paren -= 1
            elif ch == ";" and depth_paren == 0:
                break  # a declaration without a body
            elif ch == "{" and depth_paren == 0:
                break
            j += 1
        if j >= len(code) or code[j] != "{":
            continue
        depth, k = 1, j + 1
        while k < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[k], 0)
            k += 1
        start = code.count("\n", 0, m.start()) + 1
        end = code.count("\n", 0, k) + 1
        found.append((m.group(1), start, end - start + 1))
    return found


def edges(mod, code, modules):
    out = set()
    for m in re.finditer(r"\b(crate|super)((?:::\w+)+)", code):
        head, tail = m.group(1), m.group(2).split("::")[1:]
        if head == "crate":
            base = []
        else:
            base = list(mod[:-1])
            # `super::super::x`
            while tail and tail[0] == "super":
                base = base[:-1]
                tail = tail[1:]
        path = base + tail
        # the longest prefix that names a module
        target = None
        for cut in range(len(path), -1, -1):
            if tuple(path[:cut]) in modules:
                target = tuple(path[:cut])
                break
        if target is not None and target != mod:
            out.add(target)
    # paths that start at a child module: `ingest::sync`, `self::ingest::sync`
    for child in (m for m in modules if len(m) == len(mod) + 1 and m[: len(mod)] == mod):
        if re.search(rf"(?<![\w:])(self::)?{child[-1]}::", code):
            out.add(child)
    # `use` groups: `use crate::{a, b::c}`, `use super::{a, b}` — each member
    for m in re.finditer(r"\buse\s+(crate|super(?:::super)*)::\{([^;]*)\};", code):
        ups = m.group(1).count("super")
        base = [] if m.group(1) == "crate" else list(mod[: len(mod) - ups])
        for item in re.findall(r"(?:^|[{,\s])(\w+(?:::\w+)*)", m.group(2)):
            path = base + item.split("::")
            for cut in range(len(path), 0, -1):
                if tuple(path[:cut]) in modules:
                    if tuple(path[:cut]) != mod:
                        out.add(tuple(path[:cut]))
                    break
    return out


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return comps


def main():
    verbose = "-v" in sys.argv
    failed = False
    lengths = []
    long_fns = []
    for root in CRATES:
        if not os.path.isdir(root):
            continue
        files = {}
        for dirpath, _, names in os.walk(root):
            for name in names:
                if name.endswith(".rs"):
                    path = os.path.join(dirpath, name)
                    with open(path, encoding="utf-8") as f:
                        src = f.read()
                    lengths.append((src.count("\n"), path))
                    code = strip(src)
                    for fn, line, length in functions(code):
                        if length > MAX_FN:
                            long_fns.append((length, f"{path}:{line}", fn))
                    mod = module_of(root, path)
                    if mod is not None:
                        files[mod] = without_tests(code)
        modules = set(files)
        graph = {mod: edges(mod, code, modules) for mod, code in files.items()}
        for comp in cycles(graph):
            failed = True
            names = sorted("::".join(m) or "(crate root)" for m in comp)
            print(f"import circle in {root}: {' <-> '.join(names)}")
            if verbose:
                for m in comp:
                    print(f"    {'::'.join(m) or '(root)'} -> {sorted('::'.join(t) or '(root)' for t in graph[m] if t in comp)}")
    for length, where, fn in sorted(long_fns, reverse=True):
        failed = True
        print(f"function over {MAX_FN} lines: {fn} ({length} lines) at {where}")
    median = statistics.median(n for n, _ in lengths)
    print(f"source files: {len(lengths)}, median {median:g} lines, largest {max(lengths)[0]} ({max(lengths)[1]}); "
          f"functions over {MAX_FN} lines: {len(long_fns)}")
    if median > MAX_MEDIAN:
        failed = True
        print(f"median file {median:g} lines is over {MAX_MEDIAN}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
