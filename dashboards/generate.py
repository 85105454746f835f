#!/usr/bin/env python3
"""Writes dashboards/expvastic-kibana.ndjson (Kibana 7.10+ / 8.x saved objects).

Usage: python3 dashboards/generate.py dashboards/expvastic-kibana.ndjson

The NDJSON holds JSON inside JSON strings (visState, panelsJSON, ...), which is easy to break by
hand; edit the panels here and regenerate. Tests/ExpvasticIntegrationTests/Dashboards checks the
result (structure, references, and that every field is produced by Expvastic and mapped by the
index template). Standard library only.
"""
import json, sys

IP = "expvastic-index-pattern"
REF = "kibanaSavedObjectMeta.searchSourceJSON.index"

def js(o): return json.dumps(o, separators=(",", ":"), ensure_ascii=False)

def search_source(query=""):
    return js({"query": {"query": query, "language": "kuery"}, "filter": [], "indexRefName": REF})

def date_histogram(agg_id, interval):
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": "@timestamp", "useNormalizedEsInterval": True, "scaleMetricValues": False,
                       "interval": interval, "drop_partials": False, "min_doc_count": 1, "extended_bounds": {}}}

def terms(agg_id, field, schema="group", size=10):
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "orderBy": "_key", "order": "asc", "size": size, "otherBucket": False,
                       "otherBucketLabel": "Other", "missingBucket": False, "missingBucketLabel": "Missing"}}

def metric(agg_id, kind, field, label):
    return {"id": agg_id, "enabled": True, "type": kind, "schema": "metric",
            "params": {"field": field, "customLabel": label}}

def rate(agg_id, field, label, of="max"):
    return {"id": agg_id, "enabled": True, "type": "derivative", "schema": "metric",
            "params": {"metricAgg": "custom", "customLabel": label,
                       "customMetric": {"id": agg_id + "-metric", "enabled": True, "type": of,
                                        "params": {"field": field}, "schema": "metricAgg"}}}

def latest(agg_id, field, label):
    return {"id": agg_id, "enabled": True, "type": "top_hit", "schema": "metric",
            "params": {"field": field, "aggregate": "concat", "size": 1, "sortField": "@timestamp",
                       "sortOrder": "desc", "customLabel": label}}

def xy_params(chart, metrics, axis_title):
    return {
        "type": chart,
        "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                          "style": {}, "scale": {"type": "linear"},
                          "labels": {"show": True, "filter": True, "truncate": 100}, "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left",
                       "show": True, "style": {}, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                       "title": {"text": axis_title}}],
        "seriesParams": [{"show": True, "type": "histogram" if chart == "histogram" else "line",
                          "mode": "stacked" if chart == "histogram" else "normal",
                          "data": {"label": m["params"]["customLabel"], "id": m["id"]},
                          "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "lineWidth": 2,
                          "interpolate": "linear", "showCircles": True} for m in metrics],
        "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [],
        "addTimeMarker": False, "labels": {"show": False},
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
    }

OBJECTS = []

QUERY = {"go": "memstats.NumGC : *", "self": "endpoint : \"self\"", "prom": "scrape.samples : *",
         "node": "type : \"prometheus\""}
CURRENT = ["go"]

def visualization(vid, title, description, vis_type, aggs, params):
    vis_state = {"title": title, "type": vis_type, "aggs": aggs, "params": params}
    OBJECTS.append({
        "id": vid, "type": "visualization",
        "attributes": {"title": title, "description": description, "visState": js(vis_state),
                       "uiStateJSON": "{}", "version": 1,
                       "kibanaSavedObjectMeta": {"searchSourceJSON": search_source(QUERY[CURRENT[0]])}},
        "references": [{"id": IP, "name": REF, "type": "index-pattern"}],
        "migrationVersion": {"visualization": "7.10.0"},
    })
    return vid

def line(vid, title, description, metrics, split=None, interval="auto", axis="", chart="line"):
    aggs = list(metrics) + [date_histogram("x", interval)]
    if split: aggs.append(terms("split", split))
    return visualization(vid, title, description, chart, aggs, xy_params(chart, metrics, axis))

def metric_vis(vid, title, description, metrics):
    params = {"addTooltip": True, "addLegend": False, "type": "metric",
              "metric": {"percentageMode": False, "useRanges": False, "colorSchema": "Green to Red",
                         "metricColorMode": "None", "colorsRange": [{"from": 0, "to": 10000}],
                         "labels": {"show": True}, "invertColors": False,
                         "style": {"bgFill": "#000", "bgColor": False, "labelColor": False, "subText": "",
                                   "fontSize": 36}}}
    return visualization(vid, title, description, "metric", list(metrics), params)

def table(vid, title, description, metrics, rows):
    params = {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
              "totalFunc": "sum", "percentageCol": ""}
    aggs = list(metrics) + [terms("row-" + r, r, schema="bucket", size=50) for r in rows]
    return visualization(vid, title, description, "table", aggs, params)

def dashboard(did, title, description, panels, refresh_ms):
    panel_list, refs = [], []
    x = y = 0
    for n, (vid, w, h) in enumerate(panels):
        if x + w > 48:
            x, y = 0, y + row_h
        if x == 0: row_h = h
        row_h = max(row_h, h)
        panel_list.append({"version": "7.10.0",
                           "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(n + 1)},
                           "panelIndex": str(n + 1), "embeddableConfig": {}, "panelRefName": "panel_%d" % n})
        refs.append({"id": vid, "name": "panel_%d" % n, "type": "visualization"})
        x += w
    OBJECTS.append({
        "id": did, "type": "dashboard",
        "attributes": {"title": title, "description": description, "hits": 0,
                       "panelsJSON": js(panel_list),
                       "optionsJSON": js({"hidePanelTitles": False, "useMargins": True}),
                       "version": 1, "timeRestore": True, "timeFrom": "now-1h", "timeTo": "now",
                       "refreshInterval": {"pause": False, "value": refresh_ms},
                       "kibanaSavedObjectMeta": {"searchSourceJSON": js({"query": {"query": "", "language": "kuery"},
                                                                          "filter": []})}},
        "references": refs,
        "migrationVersion": {"dashboard": "7.9.3"},
    })

BYTES = ["memstats.HeapAlloc", "memstats.HeapInuse", "memstats.HeapIdle", "memstats.HeapReleased",
         "memstats.Sys", "memstats.TotalAlloc", "recorders.local_elasticsearch.spool_bytes"]
NANOS = ["memstats.gc.pause_max_ns", "memstats.gc.pause_avg_ns",
         "readers.expvastic_self.poll_latency.mean_ns", "readers.expvastic_self.poll_latency.max_ns",
         "recorders.local_elasticsearch.bulk_latency.mean_ns", "recorders.local_elasticsearch.bulk_latency.max_ns"]
fmt = {f: {"id": "bytes"} for f in BYTES}
fmt.update({f: {"id": "duration", "params": {"inputFormat": "nanoseconds", "outputFormat": "humanize"}}
            for f in NANOS})
fmt["memstats.GCCPUFraction"] = {"id": "percent"}
OBJECTS.append({
    "id": IP, "type": "index-pattern",
    "attributes": {"title": "expvastic-*", "timeFieldName": "@timestamp", "fields": "[]",
                   "fieldFormatMap": js(fmt)},
    "references": [],
    "migrationVersion": {"index-pattern": "7.6.0"},
})

# ---- Go runtime -------------------------------------------------------------------------------
G = "expvastic-go-"
go = [
    (line(G + "heap", "Go: heap (bytes)",
          "Average of memstats.HeapAlloc, HeapInuse, HeapIdle and HeapReleased. Filter one application "
          "with the query bar (type : \"my_app\").",
          [metric("1", "avg", "memstats.HeapAlloc", "HeapAlloc"),
           metric("2", "avg", "memstats.HeapInuse", "HeapInuse"),
           metric("3", "avg", "memstats.HeapIdle", "HeapIdle"),
           metric("4", "avg", "memstats.HeapReleased", "HeapReleased")], axis="bytes"), 24, 12),
    (line(G + "sys", "Go: memory obtained from the OS (Sys)",
          "Average memstats.Sys (the RSS-like total the Go runtime reserved) per application (type).",
          [metric("1", "avg", "memstats.Sys", "Sys")], split="type", axis="bytes"), 24, 12),
    (line(G + "heap-objects", "Go: live heap objects",
          "Average memstats.HeapObjects (allocated and not yet freed: Mallocs - Frees of heap objects) per type.",
          [metric("1", "avg", "memstats.HeapObjects", "HeapObjects")], split="type", axis="objects"), 24, 12),
    (line(G + "allocations-rate", "Go: mallocs and frees per minute",
          "Derivative of the counters memstats.Mallocs and memstats.Frees per reader (one process each). "
          "A negative dip means the process restarted.",
          [rate("1", "memstats.Mallocs", "Mallocs per minute"), rate("2", "memstats.Frees", "Frees per minute")],
          split="reader", interval="1m", axis="per minute"), 24, 12),
    (line(G + "alloc-bytes-rate", "Go: bytes allocated per minute",
          "Derivative of the counter memstats.TotalAlloc per reader.",
          [rate("1", "memstats.TotalAlloc", "Bytes allocated per minute")], split="reader", interval="1m",
          axis="bytes per minute"), 24, 12),
    (line(G + "gc-pauses-rate", "Go: GC pauses per minute",
          "Sum of memstats.gc.pause_count (the collections since the previous poll) per minute, per type.",
          [metric("1", "sum", "memstats.gc.pause_count", "GC pauses")], split="type", interval="1m",
          axis="pauses per minute", chart="histogram"), 24, 12),
    (line(G + "gc-pause-latency", "Go: GC pause latency",
          "Longest (memstats.gc.pause_max_ns) and mean (memstats.gc.pause_avg_ns) pause of the collections "
          "that happened between two polls. No points while no GC runs.",
          [metric("1", "max", "memstats.gc.pause_max_ns", "Longest pause"),
           metric("2", "avg", "memstats.gc.pause_avg_ns", "Mean pause")], axis="pause"), 24, 12),
    (line(G + "gc-cpu-fraction", "Go: GC CPU fraction",
          "Maximum memstats.GCCPUFraction per type: the share of CPU time the GC used since the program started.",
          [metric("1", "max", "memstats.GCCPUFraction", "GC CPU fraction")], split="type",
          axis="share of CPU"), 24, 12),
    (line(G + "numgc-rate", "Go: collections per minute (NumGC)",
          "Derivative of the counter memstats.NumGC per reader.",
          [rate("1", "memstats.NumGC", "GCs per minute")], split="reader", interval="1m",
          axis="GCs per minute"), 24, 12),
    (line(G + "requests-rate", "Go: requests per minute (expvar requests)",
          "Derivative of an application request counter exported with expvar.NewInt(\"requests\"), per reader. "
          "Edit the field to use your own counter.",
          [rate("1", "requests", "Requests per minute")], split="reader", interval="1m",
          axis="requests per minute"), 24, 12),
    (line(G + "goroutines", "Go: goroutines (when exported as goroutines)",
          "Average of the field goroutines per type. Go does not export it by default: publish it with "
          "expvar.Publish(\"goroutines\", expvar.Func(func() any { return runtime.NumGoroutine() })).",
          [metric("1", "avg", "goroutines", "Goroutines")], split="type", axis="goroutines"), 24, 12),
    (table(G + "latest", "Go: latest values per reader",
           "The newest document of every reader: heap in use, Sys, heap objects and NumGC.",
           [latest("1", "memstats.HeapInuse", "HeapInuse"), latest("2", "memstats.Sys", "Sys"),
            latest("3", "memstats.HeapObjects", "HeapObjects"), latest("4", "memstats.NumGC", "NumGC")],
           ["type", "reader"]), 48, 12),
]
dashboard("expvastic-go-runtime", "Expvastic: Go runtime",
          "Go runtime metrics (expvar memstats) shipped by Expvastic. Filter one application with the query "
          "bar: type : \"my_app\".",
          go, 30000)

# ---- Expvastic self-monitoring ---------------------------------------------------------------
CURRENT[0] = "self"
S = "expvastic-self-"
R = "readers.expvastic_self."
F = "recorders.file_output."
E = "recorders.local_elasticsearch."
selfq = [
    (line(S + "polls-rate", "Expvastic: polls per minute (expvastic_self)",
          "Derivative of readers.expvastic_self.polls_ok, polls_failed and polls_skipped.",
          [rate("1", R + "polls_ok", "OK"), rate("2", R + "polls_failed", "Failed"),
           rate("3", R + "polls_skipped", "Skipped")], interval="1m", axis="polls per minute"), 24, 12),
    (line(S + "poll-latency", "Expvastic: poll latency (expvastic_self)",
          "Mean and longest poll of the reader since Expvastic started (timer poll_latency).",
          [metric("1", "avg", R + "poll_latency.mean_ns", "Mean since start"),
           metric("2", "max", R + "poll_latency.max_ns", "Longest since start")], axis="latency"), 24, 12),
    (line(S + "docs-rate", "Expvastic: documents written per minute",
          "Derivative of docs_sent of the file recorder file_output and the Elasticsearch recorder "
          "local_elasticsearch.",
          [rate("1", F + "docs_sent", "file_output"), rate("2", E + "docs_sent", "local_elasticsearch")],
          interval="1m", axis="documents per minute"), 24, 12),
    (line(S + "es-errors-rate", "Expvastic: Elasticsearch problems per minute (local_elasticsearch)",
          "Derivative of docs_retried, docs_spooled, docs_dead_lettered, docs_dropped and bulk_failures.",
          [rate("1", E + "docs_retried", "Retried"), rate("2", E + "docs_spooled", "Spooled"),
           rate("3", E + "docs_dead_lettered", "Dead-lettered"), rate("4", E + "docs_dropped", "Dropped"),
           rate("5", E + "bulk_failures", "Failed bulk requests")], interval="1m", axis="per minute"), 24, 12),
    (line(S + "bulk-latency", "Expvastic: bulk latency (local_elasticsearch)",
          "Mean and longest bulk request since Expvastic started (timer bulk_latency).",
          [metric("1", "avg", E + "bulk_latency.mean_ns", "Mean since start"),
           metric("2", "max", E + "bulk_latency.max_ns", "Longest since start")], axis="latency"), 24, 12),
    (line(S + "bulk-rate", "Expvastic: bulk requests per minute (local_elasticsearch)",
          "Derivative of bulk_requests and bulk_failures.",
          [rate("1", E + "bulk_requests", "Bulk requests"), rate("2", E + "bulk_failures", "Failed")],
          interval="1m", axis="per minute"), 24, 12),
    (line(S + "spool", "Expvastic: spool size (local_elasticsearch)",
          "Bytes waiting in the spool on disk while Elasticsearch is unreachable (gauge spool_bytes).",
          [metric("1", "max", E + "spool_bytes", "Spool bytes")], axis="bytes"), 24, 12),
    (line(S + "queues", "Expvastic: recorder queue length",
          "Documents held in memory by each recorder (gauge queue_length).",
          [metric("1", "max", F + "queue_length", "file_output"),
           metric("2", "max", E + "queue_length", "local_elasticsearch")], axis="documents"), 24, 12),
    (metric_vis(S + "now", "Expvastic: totals now",
                "Latest values: documents sent, dead letters, spooled documents, spool segments, dropped "
                "documents.",
                [latest("1", E + "docs_sent", "Sent to Elasticsearch"),
                 latest("2", E + "docs_dead_lettered", "Dead letters"),
                 latest("3", E + "docs_spooled", "Spooled"),
                 latest("4", E + "spool_segments", "Spool segments"),
                 latest("5", E + "spool_dropped_documents", "Dropped by a full spool"),
                 latest("6", R + "polls_failed", "Failed polls")]), 48, 8),
]
dashboard("expvastic-self-monitoring", "Expvastic: self-monitoring",
          "Expvastic's own metrics from the self reader of the shipped expvastic.yml (reader expvastic_self, "
          "recorders file_output and local_elasticsearch). Other names: see dashboards/README.md.",
          selfq, 30000)

# ---- Prometheus targets (type: prometheus) ----------------------------------------------------
# Scrape health from the label-less scrape document of every scrape (scrape.*), per reader/endpoint.
CURRENT[0] = "prom"
P = "expvastic-prom-"
prom = [
    (line(P + "duration", "Prometheus: scrape duration",
          "Mean and longest scrape.duration_seconds per reader (the HTTP exchange of one scrape).",
          [metric("1", "avg", "scrape.duration_seconds", "Mean"),
           metric("2", "max", "scrape.duration_seconds", "Longest")], split="reader", axis="seconds"), 24, 12),
    (line(P + "samples", "Prometheus: samples and series per scrape",
          "scrape.samples (finite samples shipped) and scrape.series (documents per scrape) per reader.",
          [metric("1", "max", "scrape.samples", "Samples"), metric("2", "max", "scrape.series", "Series")],
          split="reader", axis="per scrape"), 24, 12),
    (line(P + "rejected", "Prometheus: rejected lines and dropped samples",
          "scrape.lines_rejected (malformed lines) and scrape.samples_dropped (NaN/Inf, excluded, over "
          "max_series, duplicates) per scrape.",
          [metric("1", "max", "scrape.lines_rejected", "Lines rejected"),
           metric("2", "max", "scrape.samples_dropped", "Samples dropped")], split="reader", axis="per scrape"),
     48, 12),
    (line(P + "series-by-endpoint", "Prometheus: series per endpoint",
          "scrape.series (documents per scrape) of every endpoint, to spot a target whose label sets grow.",
          [metric("1", "max", "scrape.series", "Series")], split="endpoint", axis="series"), 24, 12),
    (line(P + "duration-by-endpoint", "Prometheus: slowest endpoints",
          "Longest scrape.duration_seconds of every endpoint.",
          [metric("1", "max", "scrape.duration_seconds", "Longest")], split="endpoint", axis="seconds"), 24, 12),
    (table(P + "targets", "Prometheus: targets with the most series",
           "Latest scrape of every endpoint: series, samples, duration, rejected lines.",
           [latest("1", "scrape.series", "Series"), latest("2", "scrape.samples", "Samples"),
            latest("3", "scrape.duration_seconds", "Duration (s)"),
            latest("4", "scrape.lines_rejected", "Lines rejected")],
           ["reader", "endpoint"]), 48, 12),
]
dashboard("expvastic-prometheus-targets", "Expvastic: Prometheus targets",
          "Scrape health of type: prometheus readers (the scrape.* fields of each scrape's label-less "
          "document) and the targets with the most series.",
          prom, 30000)

# ---- node_exporter basics ---------------------------------------------------------------------
CURRENT[0] = "node"
N = "expvastic-node-"
node = [
    (line(N + "cpu", "node_exporter: CPU seconds per minute by mode",
          "Derivative of the sum over CPUs of node_cpu_seconds_total, split by labels.mode (idle, user, "
          "system, iowait, ...).",
          [rate("1", "node_cpu_seconds_total", "CPU seconds", of="sum")], split="labels.mode", interval="1m",
          axis="CPU seconds per minute", chart="histogram"), 24, 12),
    (line(N + "load", "node_exporter: load average",
          "node_load1, node_load5 and node_load15.",
          [metric("1", "avg", "node_load1", "1 min"), metric("2", "avg", "node_load5", "5 min"),
           metric("3", "avg", "node_load15", "15 min")], axis="load"), 24, 12),
    (line(N + "memory", "node_exporter: memory",
          "node_memory_MemTotal_bytes, MemAvailable, Cached and Buffers.",
          [metric("1", "avg", "node_memory_MemTotal_bytes", "Total"),
           metric("2", "avg", "node_memory_MemAvailable_bytes", "Available"),
           metric("3", "avg", "node_memory_Cached_bytes", "Cached"),
           metric("4", "avg", "node_memory_Buffers_bytes", "Buffers")], axis="bytes"), 24, 12),
    (table(N + "filesystems", "node_exporter: filesystems",
           "Latest size and available bytes per mount point (node_filesystem_size_bytes, "
           "node_filesystem_avail_bytes).",
           [latest("1", "node_filesystem_size_bytes", "Size"),
            latest("2", "node_filesystem_avail_bytes", "Available")],
           ["labels.mountpoint", "labels.fstype"]), 24, 12),
    (line(N + "filesystem-avail", "node_exporter: available bytes per mount point",
          "node_filesystem_avail_bytes over time, split by labels.mountpoint.",
          [metric("1", "min", "node_filesystem_avail_bytes", "Available")], split="labels.mountpoint",
          axis="bytes"), 24, 12),
    (line(N + "network", "node_exporter: network bytes per minute",
          "Derivative of node_network_receive_bytes_total and node_network_transmit_bytes_total per device.",
          [rate("1", "node_network_receive_bytes_total", "Received"),
           rate("2", "node_network_transmit_bytes_total", "Sent")], split="labels.device", interval="1m",
          axis="bytes per minute"), 48, 12),
]
dashboard("expvastic-node-exporter", "Expvastic: node_exporter basics",
          "CPU, load, memory, filesystems and network from a type: prometheus reader scraping "
          "prometheus-node-exporter. Filter one host with the query bar: endpoint : \"http://host:9100/metrics\".",
          node, 30000)

with open(sys.argv[1], "w") as out:
    for obj in OBJECTS:
        out.write(js(obj) + "\n")
