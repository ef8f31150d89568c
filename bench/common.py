"""What the benchmarks share: their own database, created and migrated, and Django set up.

Not a benchmark itself (`make bench` skips it). A script puts the repository on sys.path,
imports this, and calls `bootstrap()` before it imports anything that needs Django.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def bootstrap(
    database_url: str, *, settings_module: str = "bench.settings", **environment: str
) -> None:
    """Point Django at the benchmark's settings and database, create and migrate it, set up.

    Forced, not defaulted: `make bench` exports DJANGO_SETTINGS_MODULE=tweetups.settings,
    and any worker or server the benchmark starts must agree with this process.
    """
    os.environ.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        BENCH_DATABASE_URL=database_url,  # bench.settings reads this one, never DATABASE_URL
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        **environment,
    )
    ensure_database(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO_ROOT,
        check=True,
    )

    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    """Create the bench database if it is missing (connecting to the `postgres` one)."""
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(database_url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}")
    conn.close()


def truncate(*models, tables: tuple[str, ...] = ()) -> None:
    """Empty the models' tables and `tables`, ids restarted (and whatever refers to them)."""
    from django.db import connection

    names = [m._meta.db_table for m in models] + list(tables)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")


def load_average() -> str:
    """Other work on the machine skews every figure: printed so readers can judge."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int,
    *,
    workers: int = 2,
    threads: int = 1,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> subprocess.Popen:
    """gunicorn serving the site on `port` (sync workers, or gthread with `threads` > 1), in
    a session of its own (stop it with `stop_process_group`); returns once
    /_bench/bare/ (bench/urls.py) answers 200. `env` adds to this process's environment."""
    command = [sys.executable, "-m", "gunicorn", "tweetups.wsgi:application"]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    else:
        command += ["--worker-class", "sync"]
    process = subprocess.Popen(
        [*command, *options],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # so stopping it also stops its workers
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/_bench/bare/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    stop_process_group(process, timeout=15)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_process_group(process: subprocess.Popen, *, timeout: float) -> None:
    """Stop a process started with start_new_session=True, and its children with it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
