"""A python3-prometheus-client exporter for the Prometheus reader's integration tests.

Serves every metric type the client knows (counter, gauge, histogram, summary, info, enum as an
OpenMetrics stateset) on 127.0.0.1:<port>: `/text` always in the text format 0.0.4, `/openmetrics`
always in OpenMetrics 1.0, `/metrics` negotiated from `Accept` as the client library does it.
Prints "listening on 127.0.0.1:PORT" once it serves; values change on every scrape.
"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary
from prometheus_client import exposition
from prometheus_client.openmetrics import exposition as openmetrics

registry = CollectorRegistry()
requests = Counter("py_requests", "Requests by path.", ["path", "code"], registry=registry)
temperature = Gauge("py_temperature_celsius", "A gauge.", ["room"], registry=registry)
latency = Histogram("py_latency_seconds", "A histogram.", ["route"], buckets=(0.05, 0.5, 5), registry=registry)
size = Summary("py_response_bytes", "A summary (count and sum only in Python).", ["route"], registry=registry)
build = Info("py_build", "Build information.", registry=registry)
state = Enum("py_state", "An enum (a stateset in OpenMetrics).", states=["starting", "running", "stopped"],
             registry=registry)
nan = Gauge("py_not_a_number", "Always NaN.", registry=registry)
build.info({"version": "1.2.3", "revision": "abc \"quoted\" \\ back"})
nan.set(float("nan"))
lock = threading.Lock()
scrapes = [0]


def observe():
    with lock:
        scrapes[0] += 1
        n = scrapes[0]
    requests.labels("/a", "200").inc(2)
    requests.labels("/b\nnewline", "404").inc()
    temperature.labels("hall").set(19.25 + n % 7)
    temperature.labels("ünïcödé").set(-1.5)
    for i in range(4):
        latency.labels("/api").observe(((n + i) % 30) / 10)
        size.labels("/api").observe(100.0 * (n + i))
    state.state("running" if n % 2 else "starting")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        observe()
        if self.path == "/text":
            body, content_type = exposition.generate_latest(registry), exposition.CONTENT_TYPE_LATEST
        elif self.path == "/openmetrics":
            body, content_type = openmetrics.generate_latest(registry), openmetrics.CONTENT_TYPE_LATEST
        elif self.path == "/metrics":
            encoder, content_type = exposition.choose_encoder(self.headers.get("Accept"))
            body = encoder(registry)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
