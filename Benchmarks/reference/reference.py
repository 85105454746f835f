#!/usr/bin/env python3
"""The simple reference for Expvastic's end-to-end benchmark (standard library only).

    python3 reference.py TARGETS.json

TARGETS.json is {"ports": [p0, p1, ...], "sink": "http://127.0.0.1:PORT"}. Reader app_i polls
http://127.0.0.1:p_i/debug/vars every second on a fixed grid (phase i/N of the interval) over a
keep-alive connection, flattens the JSON into dotted keys (nested objects; arrays of scalars
kept; arrays of objects and the GC rings PauseNs/PauseEnd dropped), adds the envelope
(@timestamp = poll start, type, reader, endpoint), and bulk-indexes with `create` and a
deterministic _id, flushing every second or 500 documents. One thread, like a small script would
be written. Runs until SIGTERM/SIGINT, then flushes once and exits.
"""

import hashlib
import heapq
import http.client
import json
import signal
import sys
import time

INTERVAL = 1.0
BULK_MAX_DOCS = 500
FLUSH_INTERVAL = 1.0
DROPPED = {"memstats.PauseNs", "memstats.PauseEnd"}

stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(prefix + "." + key if prefix else key, item, out)
    elif isinstance(value, list):
        if prefix in DROPPED:
            return
        if all(isinstance(item, (int, float, str, bool)) for item in value):
            out[prefix] = value
    elif value is not None:
        out[prefix] = value


def iso(wall):
    millis = int(wall * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + ".%03dZ" % (millis % 1000)


class Reader:
    def __init__(self, index, port):
        self.name = "app_%d" % index
        self.port = port
        self.endpoint = "http://127.0.0.1:%d/debug/vars" % port
        self.connection = None

    def poll(self, wall):
        for attempt in (0, 1):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=INTERVAL)
                self.connection.request("GET", "/debug/vars", headers={"Accept": "application/json"})
                response = self.connection.getresponse()
                body = response.read()
                if response.status != 200:
                    return None
                break
            except (OSError, http.client.HTTPException):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if attempt == 1:
                    return None
        fields = {}
        flatten("", json.loads(body), fields)
        fields["@timestamp"] = iso(wall)
        fields["type"] = "bench_app"
        fields["reader"] = self.name
        fields["endpoint"] = self.endpoint
        millis = int(wall * 1000)
        identity = hashlib.sha1(("%s|%s|%d" % (self.name, self.endpoint, millis)).encode()).hexdigest()[:20]
        index = "expvastic-reference-" + time.strftime("%Y.%m.%d", time.gmtime(wall))
        action = json.dumps({"create": {"_index": index, "_id": identity}}, separators=(",", ":"))
        document = json.dumps(fields, separators=(",", ":"), sort_keys=True)
        return action + "\n" + document + "\n"


class Sink:
    def __init__(self, url):
        host, port = url.split("://", 1)[1].split(":")
        self.host, self.port = host, int(port)
        self.connection = None
        self.pending = []
        self.last_flush = time.monotonic()

    def add(self, lines):
        self.pending.append(lines)
        if len(self.pending) >= BULK_MAX_DOCS:
            self.flush()

    def flush(self):
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        body = "".join(self.pending).encode()
        for attempt in (0, 1):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
                response = self.connection.getresponse()
                answer = json.loads(response.read())
                if response.status == 200 and not answer.get("errors", True):
                    self.pending = []
                    return
            except (OSError, http.client.HTTPException, ValueError):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
        print("bulk request failed; keeping %d documents" % len(self.pending), file=sys.stderr)


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(sys.argv[1]) as file:
        targets = json.load(file)
    readers = [Reader(index, port) for index, port in enumerate(targets["ports"])]
    sink = Sink(targets["sink"])
    origin = time.monotonic() + 0.1
    # (due, reader index): reader i ticks at origin + i/N·interval + k·interval.
    queue = [(origin + INTERVAL * index / max(len(readers), 1), index) for index in range(len(readers))]
    heapq.heapify(queue)
    while not stopping and queue:
        due, index = queue[0]
        now = time.monotonic()
        next_flush = sink.last_flush + FLUSH_INTERVAL
        if now >= next_flush:
            sink.flush()
            continue
        if due > now:
            time.sleep(min(due, next_flush) - now)
            continue
        heapq.heappop(queue)
        lines = readers[index].poll(time.time())
        if lines is not None:
            sink.add(lines)
        # The next grid tick after now (late polls skip ticks instead of piling up).
        after = time.monotonic()
        missed = int((after - due) // INTERVAL)
        heapq.heappush(queue, (due + INTERVAL * (missed + 1), index))
    sink.flush()


if __name__ == "__main__":
    main()
