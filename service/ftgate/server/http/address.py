"""The --http-listen address: HOST:PORT ('[::1]:8080' for IPv6), or '' for no HTTP."""

from __future__ import annotations

import argparse

from ftgate.errors import FtgateError


class ListenError(FtgateError):
    """The HTTP address cannot be listened on (in use, not an address of this host...)."""


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT (e.g. 127.0.0.1:8080, or '' to disable), "
                         f"got {address!r}")
    return host.strip("[]"), int(port)


def listen_flag(text: str) -> str:
    """argparse type of --http-listen: the address as given, checked."""
    if text:
        try:
            split_address(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return text
