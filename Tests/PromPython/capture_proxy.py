"""A recording HTTP proxy for the Prometheus reader's integration tests.

`capture_proxy.py UPSTREAM_URL DIRECTORY` listens on 127.0.0.1 (a free port), forwards every GET to
UPSTREAM_URL with the request's Accept and Accept-Encoding headers, answers with the upstream status,
Content-Type, Content-Encoding and body as they came (a gzip body stays gzip), and saves each
answered body, decoded, as DIRECTORY/NNNNNN.body with its Content-Type in DIRECTORY/NNNNNN.type and
its Content-Encoding (empty for none) in DIRECTORY/NNNNNN.encoding and the bytes sent (as they
went over the wire) in DIRECTORY/NNNNNN.wire (written before the answer is
sent, so a scrape that got its body is always on disk). Prints "listening on 127.0.0.1:PORT" once
it serves.
"""
import gzip
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
        for header in ("Accept", "Accept-Encoding"):
            if self.headers.get(header):
                request.add_header(header, self.headers.get(header))
        with opener.open(request, timeout=10) as response:
            status, content_type, body = response.status, response.headers.get("Content-Type", ""), response.read()
            encoding = response.headers.get("Content-Encoding", "")
        with lock:
            counter[0] += 1
            name = os.path.join(directory, "%06d" % counter[0])
            with open(name + ".type", "w") as f:
                f.write(content_type)
            with open(name + ".encoding", "w") as f:
                f.write(encoding)
            with open(name + ".wire", "w") as f:
                f.write(str(len(body)))
            with open(name + ".body", "wb") as f:
                f.write(gzip.decompress(body) if encoding == "gzip" else body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
