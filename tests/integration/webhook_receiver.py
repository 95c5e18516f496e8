#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A webhook receiver for the tests of `cognito-reconcile watch --notify`: listens on a free
loopback port (printed on the first line of stdout), appends every POST body as one line to
the file given as argv[1], and answers 500 to the first FAILS requests (argv[2], default 0)
so the sender's retries show."""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT = sys.argv[1]
FAILS = int(sys.argv[2]) if len(sys.argv) > 2 else 0
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen["n"] += 1
        with open(OUT, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        code = 500 if seen["n"] <= FAILS else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
