"""Flags checked before anything runs: a bad one is exit 2 naming the flag (argparse types).

Each function here is an argparse `type=`: argparse names the flag in its message
("argument --timeout: …") and exits 2 before the command starts.
"""

from __future__ import annotations

import argparse
import errno
import math
import socket
from pathlib import Path

from ftgate.ruleset import DEFAULT_MAX_FILE_BYTES
from ftgate.userfile import NotARegularFile, UnreadableFile, read_head

_EXAMPLE = "127.0.0.1:50051"


def positive_seconds(text: str) -> float:
    """A duration in seconds, more than 0 (a deadline of 0 or less would fail every call)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds more than 0, got {text}")
    return value


def split_address(text: str, allow_port_zero: bool) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) → (host, port); ArgumentTypeError naming what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT (e.g. {_EXAMPLE}), got {text!r}: the port is missing")
    if not port.isdigit() or not (0 if allow_port_zero else 1) <= int(port) <= 65535:
        low = 0 if allow_port_zero else 1
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT with a port from {low} to 65535, got {text!r}")
    if host.startswith("[") != host.endswith("]") or (":" in host and not host.startswith("[")):
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT, an IPv6 host in brackets ([::1]:50051), got {text!r}")
    return host.strip("[]"), int(port)


def server_address(text: str) -> str:
    """The address of a running server: HOST:PORT, or a gRPC target with a scheme (unix:...)."""
    if text.startswith(("unix:", "unix-abstract:", "dns:", "ipv4:", "ipv6:")):
        return text
    split_address(text, allow_port_zero=False)
    return text


def listen_address(text: str) -> str:
    """An address to listen on: HOST:PORT (port 0: any free port)."""
    if text.startswith("unix:"):
        return text
    split_address(text, allow_port_zero=True)
    return text


def optional_listen_address(text: str) -> str:
    """A listen address, or '' for none."""
    return "" if text == "" else listen_address(text)


def readable_file(text: str) -> Path:
    """A regular file that exists and can be read now (its content is checked by its user);
    a FIFO, a device or a socket is refused without being opened (it could block)."""
    try:
        read_head(text, 1)
    except NotARegularFile as exc:
        if exc.kind == "a directory":
            raise argparse.ArgumentTypeError(f"{text} is a directory, not a file") from None
        raise argparse.ArgumentTypeError(f"{text} is {exc.what}, not a regular file") from None
    except UnreadableFile as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.cause}") from None
    return Path(text)


def add_rule_file_cap(parser: argparse.ArgumentParser) -> None:
    """--max-rule-file-bytes, beside --rules: the largest rule file (or rule test table) read."""
    parser.add_argument("--max-rule-file-bytes", type=positive_int,
                        default=DEFAULT_MAX_FILE_BYTES, metavar="BYTES",
                        help="largest rule file (and rule test table) read, in bytes; a larger "
                             "one is refused by name (docs/operations.md)")


def directory(text: str) -> Path:
    """A directory that exists (rule files, test tables)."""
    path = Path(text)
    if not path.is_dir():
        reason = "not a directory" if path.exists() else "no such directory"
        raise argparse.ArgumentTypeError(f"{text}: {reason}")
    return path


def positive_int(text: str) -> int:
    """A whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def percent(text: str) -> float:
    """A number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage (0 to 100), got {text!r}") \
            from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text}")
    return value


def log_level(text: str) -> str:
    """One of the logging levels, in any case."""
    levels = ("debug", "info", "warning", "error")
    if text.lower() not in levels:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(levels)}, got {text!r}")
    return text.lower()


def listen_problem(address: str) -> str | None:
    """Why `address` cannot be listened on now (in use, not this machine's), or None.

    A probe: bind and close. The server binds again right after, so this is a courtesy that
    turns the usual mistake (a second server on the same ports) into a clear message."""
    if address.startswith("unix:"):
        return None
    host, port = split_address(address, allow_port_zero=True)
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"unknown host {host!r} ({exc.strerror})"
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"{address} is already in use (another server listens there?)"
            return f"cannot listen on {address}: {exc.strerror}"
    return None
