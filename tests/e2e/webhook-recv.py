#!/usr/bin/env python3
"""A webhook receiver for the end-to-end tests, on loopback only.

Usage: webhook-recv.py PORT FILE [FAILS]

Appends the body of every POST it accepts to FILE, one JSON object per
line, and answers 204.  The first FAILS requests (default 0) get a 500
instead and are not recorded, so a test can see ferryd retry.
"""
import http.server
import json
import sys

port, path = int(sys.argv[1]), sys.argv[2]
fails = int(sys.argv[3]) if len(sys.argv) > 3 else 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global fails
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if fails > 0:
            fails -= 1
            self.send_response(500)
            self.end_headers()
            return
        event = json.loads(body)
        event["_content_type"] = self.headers.get("Content-Type")
        with open(path, "a") as f:
            f.write(json.dumps(event) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
