"""Small tools for bench/run.sh, each a subcommand; everything on 127.0.0.1.

  listener PORTFILE [accept|silent] [COUNTFILE]
      listens on a free port, writes it to PORTFILE; `accept` takes and closes every connection
      (counting them into COUNTFILE), `silent` never accepts (backlog 0: connections hang).
  latency PORT PATH SECONDS [EVERY_MS]
      GETs PATH every EVERY_MS (20) for SECONDS, a new connection each; prints
      `first median p99 worst_after_first` in ms (the first may wait for first results).
  startup BINARY CONFIG PORT
      starts BINARY serve on CONFIG at PORT and GETs readiness until it answers 200; prints the ms
      from exec to that answer, then stops it.
"""
import http.client
import os
import socket
import subprocess
import sys
import threading
import time


def listener(portfile, mode="accept", countfile=None):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0 if mode == "silent" else 4096)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    if mode == "silent":
        time.sleep(3600)
        return
    count = 0
    lock = threading.Lock()

    def write():
        while True:
            time.sleep(0.2)
            if countfile:
                with lock, open(countfile + ".tmp", "w") as f:
                    f.write(str(count))
                os.rename(countfile + ".tmp", countfile)

    threading.Thread(target=write, daemon=True).start()
    while True:
        c, _ = s.accept()
        c.close()
        with lock:
            count += 1


def get(port, path, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def latency(port, path, seconds, every_ms=20):
    port, seconds, every = int(port), float(seconds), float(every_ms) / 1000
    ms = []
    end = time.monotonic() + seconds
    while time.monotonic() < end or len(ms) < 2:
        t = time.monotonic()
        get(port, path)
        ms.append((time.monotonic() - t) * 1000)
        time.sleep(max(0.0, every - (time.monotonic() - t)))
    rest = sorted(ms[1:])
    print(f"{ms[0]:.1f} {rest[len(rest) // 2]:.2f} {rest[int(len(rest) * 0.99)]:.2f} {rest[-1]:.2f}")


def startup(binary, config, port):
    start = time.monotonic()
    p = subprocess.Popen([binary, "serve", "--config", config, "--listen", f"127.0.0.1:{port}",
                          "--log-level", "warn"])
    try:
        while time.monotonic() - start < 10:
            try:
                if get(int(port), "/.well-known/heartbeat/readiness", 1) == 200:
                    print(f"{(time.monotonic() - start) * 1000:.1f}")
                    return
            except OSError:
                pass
        print("nan")
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    {"listener": listener, "latency": latency, "startup": startup}[sys.argv[1]](*sys.argv[2:])
