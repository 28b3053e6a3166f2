"""``autocodec serve``: an IPFS HTTP gateway (trustless + UnixFS path gateway), the explorer and
the decode API, with live upgrades (docs/gateway.md).

Invariant: options are checked before anything starts (port 0-65535, at least one worker, a
positive refresh interval, a host that resolves, a port that is free), so a bad option or a
busy port is one line and exit status 1 or 2, never a traceback after "serving on".
"""

from __future__ import annotations

import argparse
from typing import Any

EPILOG = """examples:
  autocodec serve --port 8080                       # http://127.0.0.1:8080/ipfs/CID, /explore/CID, /decode/CID
  curl 'http://127.0.0.1:8080/ipfs/CID?format=car&dag-scope=entity' > dag.car   # trustless gateway
  curl 'http://127.0.0.1:8080/ipfs/CID?format=dag-json&autocodec-convert=1'      # any codec as DAG-JSON (extension)
  autocodec serve --node /ip4/127.0.0.1/tcp/5001    # fetch blocks the store lacks from Kubo
  autocodec serve --refresh-interval 60             # look for new set versions every minute (SIGHUP: now)
  curl -H 'Host: example.org' http://127.0.0.1:8080/  # a DNSLink site by Host (Kubo's; --no-dnslink: off)
"""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535)")
    return value


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
        return value

    return parse


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve an IPFS gateway (/ipfs/), the explorer (/explore/) and /decode/{cid}",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: loopback only; /admin is loopback only anyway)")
    p.add_argument("--port", type=_port, default=8080, help="TCP port to listen on (default 8080)")
    p.add_argument("--refresh-interval", type=_positive(float), metavar="SECONDS",
                   help="how often pinned sets are refreshed (default: config refresh.interval_s, 300)")
    p.add_argument("--workers", type=_positive(int), default=8, help="decode threads (default 8, at least 1)")
    p.add_argument("--no-dnslink", dest="dnslink", action="store_false",
                   help="do not answer requests whose Host is a DNSLink domain from that site (Kubo's "
                        "Gateway.NoDNSLink); /ipns/DOMAIN/ paths still work")
    from ._runtime import add_source_options

    add_source_options(p)
    p.set_defaults(func=run)


def check_listen(host: str, port: int) -> None:
    """``ConfigError`` unless ``host`` resolves and ``port`` can be bound on it now."""
    import socket

    from ..errors import ConfigError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"cannot listen on host {host!r}: {getattr(exc, 'strerror', None) or exc}",
                          hint="give --host an address or name of this machine, e.g. 127.0.0.1") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              hint="stop whatever uses the port, or choose another with --port") from None


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ._local_modules import module_bytes
    from ._runtime import runtime_from_args

    check_listen(args.host, args.port)
    args.modules = module_bytes(list(args.modules))  # under the home's module cap, before the server starts
    from ..serve import serve

    _steady_heap()

    try:
        serve(runtime_from_args(args), args.host, args.port, refresh_interval_s=args.refresh_interval,
              workers=args.workers, dnslink=args.dnslink)
    except OSError as exc:  # lost a race for the port after the check
        raise ConfigError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
                          hint="choose another --port") from None
    return 0


def _steady_heap() -> None:
    """Keep glibc from mapping and unmapping a fresh region for each block-sized buffer: a
    server reads blocks of up to 1 MiB (256 KiB from Kubo's chunker) one after another, each
    over glibc's initial 128 KiB mmap threshold, and paid page faults and zeroing for every
    one (a 256 MiB GET took 0.82-1.19 s, 0.61-0.76 s with these). Buffers under 4 MiB come from
    the heap, and up to 64 MiB of free heap is kept rather than given back at once. The serving
    process's choice (a library never makes it); a C library without ``mallopt`` is left as is."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return
    if mallopt is None:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 4 << 20)
    mallopt(m_trim_threshold, 64 << 20)
