"""python -m xemulator [--host 127.0.0.1] [--port 8010]: serve the X emulator until Ctrl-C."""

import argparse
import logging

from xemulator.server import EmulatorServer
from xemulator.state import EmulatorConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xemulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = EmulatorConfig.from_env()
    server = EmulatorServer(args.host, args.port, config=config)
    # The secret stays out of the output; XEMU_CLIENT_SECRET sets it.
    print(
        f"X emulator on {server.base_url} for client_id {config.client_id!r}; "
        f"consent screen at {server.base_url}/i/oauth2/authorize",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
