"""Checks expvasyml's Prometheus documents against the bodies they were made from, with the
Prometheus project's own Python parser as the independent reference.

`check_documents.py BODIES_DIR DOCUMENTS_NDJSON READER` reads the bodies a capture_proxy.py saved
(in order) and the bulk NDJSON expvasyml wrote (a file recorder or `--once`), groups the reader's
documents by `@timestamp` (one group per scrape: the targets here carry no timestamps of their
own), pairs the groups with the bodies in order and checks, for each scrape, that every finite
sample of the body is in exactly one document with its labels and value, that no document holds a
sample the body does not, that `scrape.samples` counts them, and that no field changes JSON type
across all documents. Prints one JSON object: scrapes, bodies, samples, documents, gzipped (bodies
that came with Content-Encoding: gzip), problems.
"""
import collections
import json
import math
import os
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

ENVELOPE = {"@timestamp", "type", "reader", "endpoint"}
bodies_dir, documents_path, reader = sys.argv[1], sys.argv[2], sys.argv[3]
problems = []


def problem(text):
    if len(problems) < 30:
        problems.append(text)


bodies = []
gzipped = 0
for name in sorted(os.listdir(bodies_dir)):
    if name.endswith(".body"):
        base = os.path.join(bodies_dir, name[: -len(".body")])
        with open(base + ".body", "rb") as f:
            body = f.read().decode("utf-8")
        with open(base + ".type") as f:
            content_type = f.read()
        if os.path.exists(base + ".encoding"):
            with open(base + ".encoding") as f:
                gzipped += f.read().strip() == "gzip"
        bodies.append((content_type, body))

documents = []
with open(documents_path) as f:
    lines = [line for line in f.read().split("\n") if line.strip()]
for action, source in zip(lines[0::2], lines[1::2]):
    document = json.loads(source)
    if document.get("reader") == reader:
        documents.append(document)

groups = collections.OrderedDict()
for document in sorted(documents, key=lambda d: d["@timestamp"]):
    groups.setdefault(document["@timestamp"], []).append(document)

if not groups:
    problem("no documents of reader %s in %s" % (reader, documents_path))
if len(bodies) < len(groups):
    problem("%d scrapes in the documents but only %d bodies captured" % (len(groups), len(bodies)))

field_types = collections.defaultdict(set)
for document in documents:
    for key, value in document.items():
        field_types[key].add(type(value).__name__)
for key, kinds in field_types.items():
    if len(kinds) > 1:
        problem("field %s has several JSON types: %s" % (key, sorted(kinds)))

SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
            "gaugehistogram": ("_bucket", "_gsum", "_gcount"), "summary": ("_sum", "_count", "_created"),
            "info": ("_info",)}


def declared_types(body):
    """`# TYPE` lines of a body the strict parser refused: name -> type."""
    declared = {}
    for line in body.split("\n"):
        parts = line.split()
        if len(parts) == 4 and parts[0] == "#" and parts[1] == "TYPE":
            declared.setdefault(parts[2], parts[3])
    return declared


def family_type(name, declared):
    if name in declared:
        return declared[name]
    for family, kind in declared.items():
        for suffix in SUFFIXES.get(kind, ()):
            if name == family + suffix:
                return kind
    return "unknown"


def metric_type(kind, name, labels):
    if kind in ("unknown", "untyped"):
        return None
    if kind in ("counter", "histogram"):
        return "gauge" if name.endswith("_created") else "counter"
    if kind == "summary":
        return "counter" if "quantile" not in labels and name.endswith(("_sum", "_count")) else "gauge"
    return "gauge"


types = {}
total_samples = 0
fallbacks = 0
for scrape, ((timestamp, group), (content_type, body)) in enumerate(zip(groups.items(), bodies)):
    try:
        families = list((parse_openmetrics if "openmetrics" in content_type else parse_text)(body))
    except ValueError:
        # client_golang 1.14's OpenMetrics 0.0.1 output repeats family names (a gauge `x` next to a
        # counter `x_total`), which the strict OpenMetrics parser refuses; its lines are read by the
        # text parser instead, one line at a time so that the repeated metadata cannot merge or rename
        # families (same sample syntax; no timestamps or exemplars in these bodies).
        if "openmetrics" not in content_type:
            raise
        fallbacks += 1
        # Types: the `# TYPE` line just before a sample names its family (client_golang declares
        # `go_memstats_alloc_bytes` twice, as a gauge and then as the counter of `..._total`).
        declared = declared_types(body)
        families = []
        current = {}
        for line in body.split("\n"):
            parts = line.split()
            if len(parts) == 4 and parts[0] == "#" and parts[1] == "TYPE":
                current = {parts[2]: parts[3]}
            if not line or line.startswith("#"):
                continue
            for family in parse_text(line + "\n"):
                name = family.samples[0].name if family.samples else family.name
                kind = family_type(name, current)
                family.type = kind if kind != "unknown" else family_type(name, declared)
                families.append(family)
    expected = collections.Counter()
    for family in families:
        for sample in family.samples:
            if math.isfinite(sample.value):
                expected[(sample.name, frozenset(sample.labels.items()), float(sample.value))] += 1
                kind = "untyped" if family.type == "unknown" else family.type
                types.setdefault(sample.name, [kind, metric_type(kind, sample.name, sample.labels)])
    actual = collections.Counter()
    scrape_documents = [d for d in group if "scrape.samples" in d]
    if len(scrape_documents) != 1:
        problem("scrape %d (%s): %d documents with scrape.* (expected 1)" % (scrape, timestamp, len(scrape_documents)))
    for document in group:
        labels = frozenset((k[len("labels."):], v) for k, v in document.items() if k.startswith("labels."))
        for key, value in document.items():
            if key in ENVELOPE or key.startswith("labels.") or key.startswith("scrape."):
                continue
            if not isinstance(value, float):
                problem("scrape %d: %s=%r is not a double" % (scrape, key, value))
                continue
            actual[(key, labels, value)] += 1
    for sample, count in (expected - actual).items():
        problem("scrape %d: sample %s%s %r missing (%d)" % (scrape, sample[0], dict(sample[1]), sample[2], count))
    for sample, count in (actual - expected).items():
        problem("scrape %d: document sample %s%s %r not in the body (%d)" % (scrape, sample[0], dict(sample[1]), sample[2], count))
    for d in scrape_documents:
        if d["scrape.samples"] != sum(expected.values()):
            problem("scrape %d: scrape.samples=%r, body has %d finite samples" % (scrape, d["scrape.samples"], sum(expected.values())))
        if d["scrape.series"] != len(group):
            problem("scrape %d: scrape.series=%r, %d documents" % (scrape, d["scrape.series"], len(group)))
    total_samples += sum(expected.values())

print(json.dumps({"scrapes": len(groups), "bodies": len(bodies), "samples": total_samples,
                  "documents": len(documents), "gzipped": gzipped, "types": types, "text_parser_fallbacks": fallbacks, "problems": problems}))
