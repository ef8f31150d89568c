"""Part of bench/pages.py (run that): requests per second against gunicorn, with wrk when
it is installed, else with Python threads.
"""

import http.client
import os
import re
import shutil
import subprocess
import threading
import time
from urllib.parse import urlsplit

from bench.common import free_port, start_gunicorn, stop_process_group

LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
LOAD_CONNECTIONS = 4  # two sync workers: enough to keep both busy, not a queueing test


def get(base: str, path: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The status and the ETag of one GET."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("ETag")
    finally:
        conn.close()


def load_wrk(url: str, headers: dict[str, str]) -> tuple[float, int]:
    result = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(LOAD_CONNECTIONS),
            "--duration",
            f"{LOAD_SECONDS}s",
            *(arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    errors = re.search(r"Socket errors:.*", result.stdout)
    if errors:
        print(f"  wrk {url}: {errors.group(0)}")
    return rps, int(bad.group(1)) if bad else 0


def load_python(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Threads with http.client; a fallback when wrk is missing (the GIL caps it lower)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + LOAD_SECONDS
    counts = [[0, 0] for _ in range(LOAD_CONNECTIONS)]

    def worker(slot):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", parts.path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # gunicorn's sync workers close after every response
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            counts[slot][0] += 1
            counts[slot][1] += response.status not in (200, 304)
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(LOAD_CONNECTIONS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    return sum(c[0] for c in counts) / elapsed, sum(c[1] for c in counts)


def throughput(runs: dict[str, tuple[str, str]]) -> tuple[dict[str, float], str]:
    """Requests per second for each (path, cookie); an empty cookie is a visitor. A path
    ending in " 304" is asked with the ETag it answered first: a browser revalidating."""
    load = load_wrk if shutil.which("wrk") else load_python
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_gunicorn(port)
    results = {}
    try:
        for name, (path, cookie) in runs.items():
            path, _, revalidate = path.partition(" ")
            headers = {"Cookie": cookie} if cookie else {}
            for _ in range(10):  # warm both workers
                status, etag = get(base, path, headers)
                assert status == 200, (path, status)
            if revalidate:
                headers["If-None-Match"] = etag
                assert get(base, path, headers)[0] == 304
            rps, bad = load(base + path, headers)
            if bad:
                print(f"  {name}: {bad} non-2xx responses")
            results[name] = rps
    finally:
        stop_process_group(process, timeout=15)
    return results, load.__name__.removeprefix("load_")
