"""The `post` command: one post on a running emulator from the command line."""

import os
import subprocess
import sys

from tests.xemulator.conftest import MAYA, REPO_ROOT


def run_module(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xemulator", *args],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_post_command(x_emulator):
    done = run_module(
        "post",
        "--base-url",
        x_emulator.base_url,
        "--user",
        "maya_okafor",
        "Hello #BerlinTweetup & all",
    )

    (tweet,) = x_emulator.control.tweets()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Posted {tweet['id']} as @maya_okafor at ")
    assert done.stdout.strip().endswith("Hello #BerlinTweetup &amp; all")
    assert tweet["author_id"] == MAYA


def test_the_post_command_reads_the_base_url_from_the_environment(x_emulator):
    done = run_module("post", "--user", "new_voice", "--retweet", "RT @maya_okafor: hi",
                      env={"XEMU_BASE_URL": x_emulator.base_url})  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert x_emulator.control.tweets()[0]["referenced_tweets"][0]["type"] == "retweeted"


def test_the_post_command_explains_a_refusal_and_an_unreachable_emulator(x_emulator):
    refused_post = run_module(
        "post", "--base-url", x_emulator.base_url, "--user", "x", "x" * 25_001
    )
    unreachable = run_module("post", "--base-url", "http://127.0.0.1:9", "--user", "x", "hi")

    assert refused_post.returncode == 1
    assert "The emulator refused the post: text is 25001 characters" in refused_post.stderr
    assert unreachable.returncode == 1
    assert "Could not reach the emulator at http://127.0.0.1:9" in unreachable.stderr
