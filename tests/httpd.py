#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A loopback HTTP server for the daemon's tests.

Usage: httpd.py LOG PORTFILE

Listens on 127.0.0.1 on a free port, writes the port to PORTFILE and
appends one JSON line per request to LOG (method, path, query, headers,
body, time). The answer is chosen by the query string:

  status=N   answer with status N (default 200)
  delay=S    wait S seconds (fractions allowed) before answering
  fail=N     answer 503 to the first N requests to this path, then status
  body=TEXT  the response body (default "ok PATH")

Each request runs in its own thread, so a slow one never holds up others.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
SEEN = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        with LOCK:
            SEEN[url.path] = SEEN.get(url.path, 0) + 1
            count = SEEN[url.path]
            with open(sys.argv[1], "a") as f:
                f.write(json.dumps({
                    "method": self.command, "path": url.path,
                    "query": q, "headers": dict(self.headers.items()),
                    "body": body, "time": time.time(), "count": count,
                }) + "\n")
        if "delay" in q:
            time.sleep(float(q["delay"]))
        status = int(q.get("status", 200))
        if count <= int(q.get("fail", 0)):
            status = 503
        out = q.get("body", "ok " + url.path).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
