"""The X emulator from the command line.

python -m xemulator [--host 127.0.0.1] [--port 8010] [--demo-activity SECONDS --demo-hashtags A,B]
    serve until Ctrl-C; with demo activity, post a demo post on one of the hashtags every
    SECONDS (env XEMU_DEMO_ACTIVITY, XEMU_DEMO_HASHTAGS)
python -m xemulator post [--base-url URL] --user HANDLE [--created-at ISO] [--retweet] TEXT
    post to a running emulator, as a person at a keyboard would
"""

import argparse
import logging
import os
import re
import sys

from xemulator.client import EmulatorClient, EmulatorControlError
from xemulator.demo import DemoActivity, post_demo_talk
from xemulator.server import EmulatorServer
from xemulator.state import EmulatorConfig

DEFAULT_BASE_URL = "http://127.0.0.1:8010"


def hashtag_list(value: str) -> list[str]:
    """`#ATXtweetup, BerlinTweetup` -> ["ATXtweetup", "BerlinTweetup"]."""
    return [tag.lstrip("#") for tag in re.split(r"[,\s]+", value) if tag.lstrip("#")]


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xemulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--demo-activity",
        type=float,
        metavar="SECONDS",
        default=float(os.environ.get("XEMU_DEMO_ACTIVITY") or 0),
        help="post a demo post every SECONDS (0: never; env XEMU_DEMO_ACTIVITY)",
    )
    parser.add_argument(
        "--demo-hashtags",
        type=hashtag_list,
        metavar="TAG,TAG",
        default=hashtag_list(os.environ.get("XEMU_DEMO_HASHTAGS", "")),
        help="the hashtags demo posts carry, comma-separated (env XEMU_DEMO_HASHTAGS)",
    )
    args = parser.parse_args(argv)
    if args.demo_activity < 0:
        parser.error("--demo-activity must be 0 (off) or a number of seconds")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = EmulatorConfig.from_env()
    server = EmulatorServer(args.host, args.port, config=config)
    # The secrets stay out of the output; XEMU_CLIENT_SECRET and XEMU_BEARER_TOKEN set them.
    print(
        f"X emulator on {server.base_url} for client_id {config.client_id!r}; "
        f"consent screen at {server.base_url}/i/oauth2/authorize",
        flush=True,
    )
    activity = None
    if args.demo_activity and not args.demo_hashtags:
        print(
            "Demo activity needs --demo-hashtags (or XEMU_DEMO_HASHTAGS): none posted", flush=True
        )
    elif args.demo_activity:
        activity = DemoActivity(server.state, args.demo_hashtags, args.demo_activity).start()
        print(
            f"Demo activity: a post every {args.demo_activity:g}s on "
            f"{', '.join('#' + tag for tag in args.demo_hashtags)}",
            flush=True,
        )
    if args.demo_activity:  # for the site's daily search for tweetup talk (events/found/)
        post_demo_talk(server.state)
        print("Demo posts: people planning tweetups in Berlin, Austin and London", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if activity is not None:
            activity.stop()
        server.stop()
    return 0


def post(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xemulator post", description="Post to a running X emulator."
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("XEMU_BASE_URL", DEFAULT_BASE_URL),
        help=f"the emulator (env XEMU_BASE_URL; default {DEFAULT_BASE_URL})",
    )
    parser.add_argument("--user", required=True, help="the author's handle; a new one is created")
    parser.add_argument("--created-at", help="ISO 8601 time with a zone; default now")
    parser.add_argument("--retweet", action="store_true", help='text starts "RT @handle: "')
    parser.add_argument("text")
    args = parser.parse_args(argv)
    client = EmulatorClient(args.base_url)
    try:
        tweet = client.post_tweet(
            args.user.lstrip("@"),
            args.text,
            created_at=args.created_at,
            is_retweet=args.retweet,
        )
    except EmulatorControlError as exc:
        payload = exc.payload if isinstance(exc.payload, dict) else {}
        print(f"The emulator refused the post: {payload.get('error', exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Could not reach the emulator at {args.base_url}: {exc}", file=sys.stderr)
        return 1
    handle = args.user.lstrip("@")
    # The text as X sends it: &, < and > escaped.
    print(f"Posted {tweet['id']} as @{handle} at {tweet['created_at']}: {tweet['text']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["post"]:
        return post(argv[1:])
    return serve(argv[1:] if argv[:1] == ["serve"] else argv)


if __name__ == "__main__":
    sys.exit(main())
