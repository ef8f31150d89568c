"""A fresh clone has no var/: the file-system broker and beat create what they need there."""

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures_celery import wait_until

ROOT = Path(__file__).resolve().parent.parent


def fresh_settings(folder: Path) -> dict[str, str]:
    """An environment whose settings keep the broker and beat under an empty `folder`/var."""
    var = folder / "var"
    (folder / "fresh_var_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        'CELERY_BROKER_URL = "filesystem://"\n'
        "CELERY_BROKER_TRANSPORT_OPTIONS = {\n"
        f'    "data_folder_in": {str(var / "broker" / "out")!r},\n'
        f'    "data_folder_out": {str(var / "broker" / "out")!r},\n'
        f'    "processed_folder": {str(var / "broker" / "processed")!r},\n'
        f'    "control_folder": {str(var / "broker" / "control")!r},\n'
        "}\n"
        f"CELERY_BEAT_SCHEDULE_FILENAME = {str(var / 'celerybeat-schedule')!r}\n"
    )
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "fresh_var_settings",
    }


def test_a_task_can_be_enqueued_on_the_file_system_broker_with_no_var_folder(tmp_path):
    enqueue = (
        "import django; django.setup()\nfrom events.tasks import sync_cycle\nsync_cycle.delay()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", enqueue],
        cwd=ROOT,
        env=fresh_settings(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert len(list((tmp_path / "var" / "broker" / "out").glob("*.msg"))) == 1


def test_beat_starts_with_no_var_folder(tmp_path):
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tweetups", "beat", "-l", "info"],
        cwd=ROOT,
        env=fresh_settings(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # shelve names the file after the dbm module it picked; any of them will do.
    schedule = tmp_path / "var"
    try:
        wait_until(
            lambda: list(schedule.glob("celerybeat-schedule*")) or beat.poll() is not None,
            timeout=60,
            what="beat's schedule file",
        )
        assert beat.poll() is None, beat.stdout.read()
        assert list(schedule.glob("celerybeat-schedule*"))
    finally:
        beat.terminate()
        beat.wait(timeout=30)
        beat.stdout.close()
