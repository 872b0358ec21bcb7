#!/usr/bin/env python3
"""Every #include in framework/ against the layer table of docs/architecture.md.

  check_layers.py FRAMEWORK_DIR ARCHITECTURE_MD

The table (between the markers "<!-- layers -->" and "<!-- /layers -->") has
one row per layer: its name, its folder under framework/ and the layers it
may include. A file belongs to the layer of the deepest folder that holds it;
an include of framework/ belongs to the layer of the file it names. Within a
layer anything goes; across layers only what the row allows. Prints each
include that runs up or sideways (file:line, the layers, the include) and
exits 1; exits 0 with a count when there is none. A folder of framework/ that
no row names is an error too, so a new folder must take its place in the table.
"""
import os
import re
import sys


def read_table(path):
    text = open(path, encoding="utf-8").read()
    match = re.search(r"<!-- layers -->(.*?)<!-- /layers -->", text, re.S)
    if not match:
        sys.exit(f"{path}: no '<!-- layers -->' ... '<!-- /layers -->' table")
    layers = {}
    for line in match.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("layer", "") or set(cells[0]) <= set("-"):
            continue
        name, folder, allowed = cells
        folder = folder.strip("`").rstrip("/")
        layers[folder] = (name, {a.strip() for a in allowed.split(",") if a.strip()})
    if not layers:
        sys.exit(f"{path}: the layer table has no rows")
    names = {name for name, _ in layers.values()}
    for folder, (name, allowed) in layers.items():
        unknown = allowed - names
        if unknown:
            sys.exit(f"{path}: layer {name} may include unknown layers {sorted(unknown)}")
    return layers


def layer_of(relative_path, layers):
    """The layer of the deepest table folder holding relative_path (framework/ relative)."""
    parts = relative_path.split("/")[:-1]
    while parts:
        folder = "framework/" + "/".join(parts)
        if folder in layers:
            return layers[folder][0]
        parts.pop()
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, table_path = sys.argv[1].rstrip("/"), sys.argv[2]
    layers = read_table(table_path)
    allowed = {name: may for name, may in layers.values()}
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    problems, checked = [], 0
    for directory, _, files in os.walk(root):
        for file_name in sorted(files):
            if not file_name.endswith((".h", ".cpp", ".cu", ".cuh")):
                continue
            path = os.path.join(directory, file_name)
            relative = os.path.relpath(path, root)
            own = layer_of(relative, layers)
            if own is None:
                problems.append(f"framework/{relative}: its folder is in no row of the layer table ({table_path})")
                continue
            with open(path, encoding="utf-8", errors="replace") as source:
                for number, line in enumerate(source, 1):
                    found = include.match(line)
                    if not found or not os.path.exists(os.path.join(root, found.group(1))):
                        continue  # a system or third-party header, or one beside the file
                    checked += 1
                    target = layer_of(found.group(1), layers)
                    if target is None or target == own or target in allowed[own]:
                        continue
                    problems.append(f"framework/{relative}:{number}: layer {own} includes layer {target} "
                                    f"(\"{found.group(1)}\"); {own} may include only "
                                    f"{', '.join(sorted(allowed[own])) or 'nothing else'}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} include(s) against the layers of {table_path}")
        return 1
    print(f"layers: {checked} includes of framework/ checked, none against the table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
