"""A development inbox: an SMTP server that keeps every mail, and a page to read them.

`make run` starts it (bin/dev) and points EMAIL_URL at it, so the site's mail, links and
calendar invitations can be tried without a real mail account:

    python -m notifications.mailcatcher --smtp 127.0.0.1:1025 --web 127.0.0.1:8025

The page shows the newest MAX_KEPT messages; every message is also written to var/mail/ as
an .eml file of its own, and those are never dropped. Standard library plus aiosmtpd; no
Django.
"""

import argparse
import email
import html
import itertools
import logging
import threading
from datetime import datetime
from email import policy
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

MAX_KEPT = 500


class Inbox:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        # Numbered in the order received, from 1; a number stays with its message (and its
        # page, /m/<number>) when older ones leave the page.
        self.messages: list[tuple[int, str, bytes]] = []  # (number, received at, raw)
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        now = datetime.now().astimezone()  # the developer's local time
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        with self.lock:
            self.received += 1
            number = self.received
            self.messages.append((number, stamp, raw))
            del self.messages[:-MAX_KEPT]
        self._write(f"{now:%Y%m%d-%H%M%S}-{number:06d}", raw)
        parsed = email.message_from_bytes(raw, policy=policy.default)
        print(f"mail to {parsed['To']}: {parsed['Subject']}", flush=True)
        return "250 Message accepted for delivery"

    def _write(self, name: str, raw: bytes) -> None:
        """A file of its own: never over another, say one a previous run left at that name."""
        for attempt in itertools.count(1):
            path = self.folder / (f"{name}.eml" if attempt == 1 else f"{name}-{attempt}.eml")
            try:
                with path.open("xb") as file:
                    file.write(raw)
                return
            except FileExistsError:
                continue

    def get(self, number: int):
        with self.lock:
            for kept, stamp, raw in self.messages:
                if kept == number:
                    return stamp, raw, email.message_from_bytes(raw, policy=policy.default)
        return None


def _part(message, content_type: str) -> str | None:
    for part in message.walk():
        if part.get_content_type() == content_type and not part.is_attachment():
            return part.get_content()
    return None


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;background:#f8fafc;color:#111827}}
main{{max-width:900px;margin:0 auto;padding:1rem}}table{{width:100%;border-collapse:collapse}}
td,th{{text-align:left;padding:.45rem;border-bottom:1px solid #e5e7eb;vertical-align:top}}
a{{color:#1d4ed8}}iframe{{width:100%;height:75vh;border:1px solid #e5e7eb;background:#fff}}
pre{{white-space:pre-wrap;background:#fff;border:1px solid #e5e7eb;padding:1rem}}</style>
</head><body><main>{body}</main></body></html>"""


def make_handler(inbox: Inbox):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def send(self, body: str | bytes, content_type="text/html; charset=utf-8", extra=None):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/":
                return self.list_page()
            parts = path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "m":
                number, _, view = parts[1].partition(".")
                found = inbox.get(int(number)) if number.isdigit() else None
                if found:
                    return self.message_page(int(number), view, *found)
            self.send_error(HTTPStatus.NOT_FOUND)

        def list_page(self):
            with inbox.lock:
                rows, received = list(inbox.messages), inbox.received
            items = []
            for number, stamp, raw in reversed(rows):
                msg = email.message_from_bytes(raw, policy=policy.default)
                items.append(
                    f"<tr><td>{html.escape(stamp)}</td><td>{html.escape(str(msg['To']))}</td>"
                    f'<td><a href="/m/{number}">{html.escape(str(msg["Subject"]))}</a></td></tr>'
                )
            older = ""
            if received > len(rows):
                older = f" (the last {len(rows)} here; all of them in {inbox.folder})"
            body = (
                "<h1>Tweetups development inbox</h1>"
                f"<p>{received} messages, newest first{html.escape(older)}. "
                "Reload to see new ones.</p>"
                "<table><tr><th>Received</th><th>To</th><th>Subject</th></tr>"
                + "".join(items)
                + "</table>"
            )
            self.send(PAGE.format(title="Inbox", body=body))

        def message_page(self, number, view, stamp, raw, msg):
            if view == "eml":
                return self.send(raw, "message/rfc822")
            if view == "html":
                # The mail's own HTML, sandboxed: no scripts; links open in a new tab.
                return self.send(
                    _part(msg, "text/html") or "",
                    extra={
                        "Content-Security-Policy": "sandbox allow-popups "
                        "allow-popups-to-escape-sandbox"
                    },
                )
            attachments = [
                f"<li>{html.escape(p.get_filename() or '')} ({p.get_content_type()})</li>"
                for p in msg.iter_attachments()
            ]
            headers = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                for k, v in msg.items()
                if k in ("From", "To", "Subject", "Date", "List-Unsubscribe", "Message-ID")
            )
            text = _part(msg, "text/plain") or ""
            body = (
                f'<p><a href="/">← Inbox</a> · <a href="/m/{number}.eml">raw .eml</a></p>'
                f"<table>{headers}</table>"
                + (f"<p>Attachments:</p><ul>{''.join(attachments)}</ul>" if attachments else "")
                + f'<h2>HTML</h2><iframe src="/m/{number}.html" title="HTML part"></iframe>'
                + f"<h2>Text</h2><pre>{html.escape(text)}</pre>"
            )
            self.send(PAGE.format(title=html.escape(str(msg["Subject"])), body=body))

    return Handler


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp", default="127.0.0.1:1025", help="host:port to accept mail on")
    parser.add_argument("--web", default="127.0.0.1:8025", help="host:port of the inbox page")
    parser.add_argument("--dir", default="var/mail", help="folder for .eml copies")
    args = parser.parse_args(argv)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = Inbox(Path(args.dir))
    smtp_host, smtp_port = _address(args.smtp)
    controller = Controller(inbox, hostname=smtp_host, port=smtp_port)
    controller.start()
    web = ThreadingHTTPServer(_address(args.web), make_handler(inbox))
    print(f"SMTP on {args.smtp}; read the mail at http://{args.web}/", flush=True)
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.server_close()
        controller.stop()


if __name__ == "__main__":
    main()
