"""The emulator as a program and as a server object."""

import subprocess
import sys
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
import requests

from tests.xemulator.conftest import REPO_ROOT
from xemulator.server import EmulatorServer
from xemulator.state import EmulatorConfig


def test_python_m_xemulator_serves_until_stopped(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "XEMU_CLIENT_ID": "from-env", "XEMU_CLIENT_SECRET": "s3cret"}
    process = subprocess.Popen(
        [sys.executable, "-m", "xemulator", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = process.stdout.readline()  # printed once the socket is listening
        base_url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        config = requests.get(base_url + "/_emulator/config", timeout=10).json()["data"]
        consent = requests.get(base_url + "/i/oauth2/authorize", timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()

    assert base_url.startswith("http://127.0.0.1:")
    assert "s3cret" not in banner
    assert config["client_id"] == "from-env"
    assert consent.status_code == 400  # no parameters: an error page, but served


def test_unknown_paths_and_methods(x_emulator):
    missing = requests.get(x_emulator.base_url + "/2/tweets/nope", timeout=10)
    wrong_method = requests.post(x_emulator.base_url + "/2/users/me", timeout=10)

    assert missing.status_code == 404
    assert missing.json()["title"] == "Not Found"
    assert wrong_method.status_code == 405


def test_an_oversized_body_is_refused_before_it_is_read(x_emulator):
    host, port = urlsplit(x_emulator.base_url).netloc.split(":")
    connection = HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/2/oauth2/token")
        connection.putheader("Content-Length", "2000000")
        connection.endheaders()  # announce 2 MB, send none of it
        response = connection.getresponse()
    finally:
        connection.close()

    assert response.status == 413


def test_emulator_server_starts_on_a_free_port_and_stops():
    with EmulatorServer(port=0, config=EmulatorConfig()) as emulator:
        base_url = emulator.base_url
        assert requests.get(base_url + "/_emulator/users", timeout=10).status_code == 200

    with pytest.raises(requests.ConnectionError):
        requests.get(base_url + "/_emulator/users", timeout=2)


def test_config_from_env():
    config = EmulatorConfig.from_env(
        {
            "XEMU_CLIENT_ID": "id",
            "XEMU_CLIENT_SECRET": "secret",
            "XEMU_CODE_TTL": "5",
            "XEMU_REDIRECT_URIS": "http://a/cb, http://b/cb",
        }
    )

    assert (config.client_id, config.client_secret, config.code_ttl_seconds) == (
        "id",
        "secret",
        5.0,
    )
    assert config.redirect_uris == ("http://a/cb", "http://b/cb")
    assert EmulatorConfig.from_env({}) == EmulatorConfig()
