"""A recording HTTP proxy for the Prometheus reader's integration tests.

`capture_proxy.py UPSTREAM_URL DIRECTORY` listens on 127.0.0.1 (a free port), forwards every GET to
UPSTREAM_URL with the request's Accept header, answers with the upstream status, Content-Type and
body, and saves each answered body as DIRECTORY/NNNNNN.body with its Content-Type in
DIRECTORY/NNNNNN.type (written before the answer is sent, so a scrape that got its body is always on
disk). Prints "listening on 127.0.0.1:PORT" once it serves.
"""
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, directory = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
lock = threading.Lock()
counter = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        request = urllib.request.Request(upstream)
        if self.headers.get("Accept"):
            request.add_header("Accept", self.headers.get("Accept"))
        with opener.open(request, timeout=10) as response:
            status, content_type, body = response.status, response.headers.get("Content-Type", ""), response.read()
        with lock:
            counter[0] += 1
            name = os.path.join(directory, "%06d" % counter[0])
            with open(name + ".type", "w") as f:
                f.write(content_type)
            with open(name + ".body", "wb") as f:
                f.write(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
