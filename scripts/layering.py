#!/usr/bin/env python3
"""Checks that no folder of Sources/Expvastic uses a type declared in a folder above it.

Each group of folders below is one SwiftPM target (Package.swift), and a target imports only the
targets below it, so the compiler already refuses a use of a layer above; this script checks the
folders inside one target, and that Package.swift's targets list the folders in this order.

The layers, bottom first (SPEC §13): a folder may use what is declared in its own folder and in the
folders listed before it, never in one listed after it. A reference is a use of a top-level name
(type, protocol, typealias or free function) declared in another folder; comments and string
literals are ignored. Prints the graph with --graph. Exit status 1 lists every upward reference.
"""
import os
import re
import sys

LAYERS = [
    # primitives
    "System", "Time", "Hashing", "Logging", "Metrics",
    # codecs and protocols
    "JSON", "HTTP", "HTTPClient", "HTTPServer", "DNS", "Prometheus", "Etcd", "Document",
    # configuration
    "Config",
    # readers, recorders, spool, discovery
    "Spool", "Reading", "Recording", "Discovery",
    # engine, reconciler, pool, monitoring
    "Monitoring", "Engine", "Pool",
    # the command
    "Command",
]

DECL = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|private|fileprivate|final|indirect|nonisolated)\s+)*"
    r"(?:class|struct|enum|protocol|actor|typealias|func)\s+([A-Za-z_]\w*)",
    re.M,
)
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def strip(source):
    source = re.sub(r'"""[\s\S]*?"""', '""', source)
    source = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source)
    source = re.sub(r"/\*[\s\S]*?\*/", "", source)
    return re.sub(r"//[^\n]*", "", source)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Expvastic")
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".swift"):
                path = os.path.join(directory, name)
                files[os.path.relpath(path, root)] = strip(open(path, encoding="utf-8").read())
    manifest = open(os.path.join(root, "..", "..", "Package.swift"), encoding="utf-8").read()
    folders = [
        folder
        for sources in re.findall(r'path: "Sources/Expvastic",\s*sources: \[([^\]]*)\]', manifest)
        for folder in re.findall(r'"([^"]+)"', sources)
    ]
    if folders != LAYERS:
        print(f"layering: Package.swift's targets list the folders {folders}, expected {LAYERS}")
        return 1
    unknown = sorted({path.split(os.sep)[0] for path in files} - set(LAYERS))
    if unknown:
        print(f"layering: folder(s) {', '.join(unknown)} have no layer: add them to LAYERS in {__file__}")
        return 1
    owner = {}
    for path, source in files.items():
        for match in DECL.finditer(source):
            owner.setdefault(match.group(1), path.split(os.sep)[0])
    rank = {name: index for index, name in enumerate(LAYERS)}
    graph, violations = {}, []
    nested = re.compile(r"^\s*(?:[a-z@]\w*\s+)*(?:class|struct|enum|protocol|actor|typealias)\s+([A-Za-z_]\w*)", re.M)
    for path, source in sorted(files.items()):
        folder = path.split(os.sep)[0]
        # A name the file declares itself (a nested type such as `Reader` inside `DNSMessage`) is its own.
        local = {match.group(1) for match in nested.finditer(source)}
        for name in sorted(set(IDENT.findall(source)) - local):
            used = owner.get(name)
            if used is None or used == folder:
                continue
            graph.setdefault(folder, set()).add(used)
            if rank[used] > rank[folder]:
                violations.append(f"{path}: uses {name} from {used}/, a layer above {folder}/")
    if "--graph" in sys.argv:
        for folder in LAYERS:
            if folder in graph:
                print(f"{folder} -> {', '.join(sorted(graph[folder], key=rank.get))}")
    for line in violations:
        print(line)
    if violations:
        print(f"layering: {len(violations)} upward reference(s); move the declaration down or the user up")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
