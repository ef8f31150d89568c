"""The development inbox `make run` starts: it takes SMTP and shows the mail on a page."""

import smtplib
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifications.mailcatcher import MAX_KEPT, Inbox
from tests.fixtures_mail import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mailcatcher(tmp_path):
    smtp, web = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications.mailcatcher", "--smtp", f"127.0.0.1:{smtp}",
         "--web", f"127.0.0.1:{web}", "--dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert "read the mail at" in process.stdout.readline()  # it is listening
        yield smtp, f"http://127.0.0.1:{web}", tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_mail_sent_to_it_shows_up_on_its_page(mailcatcher):
    smtp, web, folder = mailcatcher
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Hi"
    message.set_content("Plain <text>")
    message.add_alternative('<p>Hello <a href="http://127.0.0.1:8000/">site</a></p>', "html")
    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        client.send_message(message)

    listing = urllib.request.urlopen(f"{web}/", timeout=10).read().decode()
    assert '<a href="/m/1">Hi</a>' in listing and "b@example.com" in listing
    page = urllib.request.urlopen(f"{web}/m/1", timeout=10).read().decode()
    assert "Plain &lt;text&gt;" in page and 'src="/m/1.html"' in page
    part = urllib.request.urlopen(f"{web}/m/1.html", timeout=10)
    assert "sandbox" in part.headers["Content-Security-Policy"]
    assert b'href="http://127.0.0.1:8000/"' in part.read()
    assert len(list(folder.glob("*.eml"))) == 1


def test_every_message_gets_a_file_of_its_own_past_what_the_page_keeps(mailcatcher):
    smtp, web, folder = mailcatcher
    sent = MAX_KEPT + 100  # in a second or two: many share a timestamp
    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        for number in range(1, sent + 1):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: Mail {number}\n\nHi\n")

    files = sorted(folder.glob("*.eml"))
    assert len(files) == sent
    assert {f.read_text().split("\n", 1)[0] for f in files} == {
        f"Subject: Mail {number}" for number in range(1, sent + 1)
    }
    # The page keeps the newest MAX_KEPT, each at the number it had from the start.
    listing = urllib.request.urlopen(f"{web}/", timeout=10).read().decode()
    assert f"{sent} messages" in listing and f"the last {MAX_KEPT} here" in listing
    assert f'<a href="/m/{sent}">Mail {sent}</a>' in listing
    assert "Mail 101" in urllib.request.urlopen(f"{web}/m/101", timeout=10).read().decode()
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{web}/m/100", timeout=10)
    assert gone.value.code == 404


def test_a_file_left_by_an_earlier_run_is_not_written_over(tmp_path):
    inbox = Inbox(tmp_path)
    inbox._write("20260101-120000-000001", b"earlier run")
    inbox._write("20260101-120000-000001", b"this run")

    assert sorted(p.read_bytes() for p in tmp_path.glob("*.eml")) == [b"earlier run", b"this run"]
