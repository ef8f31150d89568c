"""`make run` and a fresh `make test` use SQLite: every migration must apply there too.

SQLite rebuilds a table, with every index its model state names, whenever a migration
alters it; PostgreSQL-only indexes must not break that (events/indexes.py).
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_migration_applies_on_a_new_sqlite_database(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Applying events.0001_initial... OK" in result.stdout
