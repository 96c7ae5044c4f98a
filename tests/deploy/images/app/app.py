"""The deploy tests' application: a health URL that can be switched to failing, a file touched
while alive. Only the standard library."""

import http.server
import os
import pathlib
import signal
import sys
import threading

failing = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/control/fail":
            failing.set()
            self.answer(200, "failing from now on")
        elif self.path == "/control/recover":
            failing.clear()
            self.answer(200, "healthy from now on")
        elif self.path == "/healthz":
            self.answer(503 if failing.is_set() else 200, "failing" if failing.is_set() else "ok")
        elif self.path == "/":
            self.answer(200, "the deploy tests' application")
        else:
            self.answer(404, "not found")

    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("app: " + fmt % args, flush=True)


def touch_forever(path):
    """Touches `path` every second: the "alive" file a sidecar's file check reads."""
    while True:
        pathlib.Path(path).touch()
        threading.Event().wait(1.0)


def main():
    # As PID 1 of a container, a signal without a handler is ignored: stop at once on TERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "5000"))
    server = http.server.ThreadingHTTPServer((host, port), Handler)
    alive = os.environ.get("ALIVE_FILE")
    if alive:
        threading.Thread(target=touch_forever, args=(alive,), daemon=True).start()
    print(f"app: listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
