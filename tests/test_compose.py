"""docker-compose.yml and the Dockerfile agree with the code they run.

No Docker engine runs here or in CI, so this reads the files and checks each name they use:
modules, the Celery app, the WSGI callable, management commands and environment variables.
"""

import importlib
import importlib.util
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS_SOURCE = "\n".join(
    path.read_text() for path in sorted((ROOT / "tweetups" / "settings").glob("*.py"))
)
# env("NAME", ...), env.bool("NAME", ...), env.db("NAME", ...) and so on.
SETTINGS_VARIABLES = set(
    re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", SETTINGS_SOURCE)
)
# Services that run the site from the project's image, and so read tweetups/settings/ (the
# emulator shares the image but not the settings).
APP_SERVICES = [name for name, svc in SERVICES.items() if "build" in svc and name != "xemulator"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def as_argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def commands() -> list[tuple[str, list[str]]]:
    """Every command run in the project's image: its default and each service's."""
    found = [
        (f"service {name}", as_argv(service["command"]))
        for name, service in SERVICES.items()
        if "build" in service and "command" in service
    ]
    for instruction, argument in dockerfile_instructions():
        if instruction in {"CMD", "ENTRYPOINT"}:
            found.append((f"Dockerfile {instruction}", json.loads(argument)))
    return found


def option_value(argv: list[str], *names: str) -> str | None:
    for index, part in enumerate(argv):
        if part in names:
            return argv[index + 1]
        for name in names:
            if name.startswith("--") and part.startswith(f"{name}="):
                return part.split("=", 1)[1]
    return None


def test_the_files_parse_and_name_the_expected_services():
    assert {"postgres", "redis", "web", "worker", "beat", "xemulator", "proxy"} <= set(SERVICES)
    assert {"web", "worker", "beat"} <= set(APP_SERVICES)
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= SETTINGS_VARIABLES


@pytest.mark.parametrize(("where", "argv"), commands())
def test_every_command_names_real_code(where, argv):
    program = Path(argv[0]).name
    if program == "celery":
        app_name = option_value(argv, "-A", "--app")
        app = find_app(app_name)  # what `celery -A` itself does
        assert isinstance(app, Celery), where
        assert app.main == "tweetups", where
    elif program == "gunicorn":
        target = next(part for part in argv[1:] if ":" in part and not part.startswith("-"))
        module_name, attribute = target.split(":")
        assert callable(getattr(importlib.import_module(module_name), attribute)), where
    elif program.startswith("python"):
        if argv[1] == "-m":
            assert importlib.util.find_spec(argv[2]) is not None, f"{where}: no module {argv[2]}"
        elif argv[1] == "manage.py":
            assert argv[2] in get_commands(), f"{where}: no management command {argv[2]}"
        else:
            pytest.fail(f"{where}: runs python without -m or manage.py: {argv}")
    else:
        pytest.fail(f"{where}: unexpected program {program!r}")


def test_the_image_serves_the_wsgi_application_by_default():
    cmd = next(
        json.loads(arg) for instruction, arg in dockerfile_instructions() if instruction == "CMD"
    )
    assert cmd[:2] == ["gunicorn", "tweetups.wsgi:application"]
    assert SERVICES["web"]["command"][:2] == cmd[:2]


def test_the_image_matches_the_python_version_and_runs_as_a_plain_user():
    instructions = dockerfile_instructions()
    python_version = (ROOT / ".python-version").read_text().strip()
    assert ("FROM", f"python:{python_version}-slim") in instructions
    users = [argument for instruction, argument in instructions if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_set_only_variables_the_settings_read(service):
    environment = SERVICES[service].get("environment", {})
    names = (
        set(environment)
        if isinstance(environment, dict)
        else {item.split("=", 1)[0] for item in environment}
    )
    assert names, f"{service} sets no environment"
    assert names <= SETTINGS_VARIABLES, (
        f"{service}: settings never read {names - SETTINGS_VARIABLES}"
    )


def test_env_example_lists_every_variable():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    interpolated = set(
        re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text())
    )
    assert listed >= SETTINGS_VARIABLES, f"not in .env.example: {SETTINGS_VARIABLES - listed}"
    assert interpolated <= listed, f"not in .env.example: {interpolated - listed}"


def test_the_x_emulator_runs_only_in_the_dev_profile():
    assert SERVICES["xemulator"].get("profiles") == ["dev"]
    for name, service in SERVICES.items():
        if name == "xemulator":
            continue
        assert "profiles" not in service, f"{name} would not start by default"
        assert "xemulator" not in service.get("depends_on", {}), f"{name} needs the dev profile"


def test_dependencies_wait_on_something_that_can_happen():
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: give each dependency a condition"
        for target, rule in depends_on.items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{name} waits on {target}'s health"
            if rule["condition"] == "service_completed_successfully":
                # A one-shot job must not be restarted once it has finished.
                assert SERVICES[target].get("restart", "no") == "no", target


def test_exactly_one_beat_schedules_periodic_tasks():
    schedulers = [
        name
        for name, service in SERVICES.items()
        if "command" in service
        and Path(as_argv(service["command"])[0]).name == "celery"
        and ("beat" in as_argv(service["command"]) or "-B" in as_argv(service["command"]))
    ]
    assert schedulers == ["beat"]


def test_redis_keeps_the_queue_on_a_volume():
    redis = SERVICES["redis"]
    argv = as_argv(redis["command"])
    assert option_value(argv, "--appendonly") == "yes"
    volume = next(v for v in redis["volumes"] if v.endswith(":/data"))
    assert volume.split(":")[0] in COMPOSE["volumes"]
    postgres_volume = next(
        v for v in SERVICES["postgres"]["volumes"] if v.endswith(":/var/lib/postgresql/data")
    )
    assert postgres_volume.split(":")[0] in COMPOSE["volumes"]


def test_the_proxy_serves_the_repositorys_nginx_config_in_front_of_web():
    proxy = SERVICES["proxy"]
    template = next(v for v in proxy["volumes"] if "/etc/nginx/templates/" in v)
    assert (ROOT / template.split(":")[0]).is_file()
    assert proxy["environment"]["TWEETUPS_UPSTREAM"] == "web:8000"
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert "ports" not in SERVICES["web"]  # visitors come in through the cache
