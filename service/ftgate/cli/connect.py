"""How the CLI reaches a running server: plain, TLS or mutual TLS, with an optional bearer token."""

from __future__ import annotations

import argparse
from pathlib import Path

import grpc

from ftgate.access import MAX_ACCESS_FILE_BYTES
from ftgate.cli.flags import readable_file
from ftgate.errors import FtgateError
from ftgate.userfile import FileRefused, read_file


class ConnectionFileError(FtgateError):
    """A --token-file, --ca-cert, --client-cert or --client-key file cannot be read."""


def _read(path: Path, flag: str) -> bytes:
    try:  # a regular file only, never a FIFO or a device
        return read_file(path, MAX_ACCESS_FILE_BYTES)
    except FileRefused as exc:  # named, never its content
        raise ConnectionFileError(f"the {flag} file {exc}") from None


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every client command shares (check --server, decisions --server, health)."""
    parser.add_argument("--token-file", type=readable_file, metavar="FILE",
                        help="file holding a bearer token")
    parser.add_argument("--ca-cert", type=readable_file, metavar="FILE",
                        help="PEM CA of the server: connect with TLS")
    parser.add_argument("--client-cert", type=readable_file, metavar="FILE",
                        help="PEM client certificate (mutual TLS)")
    parser.add_argument("--client-key", type=readable_file, metavar="FILE", help="PEM key of --client-cert")


def open_channel(address: str, args: argparse.Namespace) -> grpc.Channel:
    """A channel to `address`, secure when --ca-cert is given."""
    if getattr(args, "ca_cert", None):
        key = _read(args.client_key, "--client-key") if args.client_key else None
        cert = _read(args.client_cert, "--client-cert") if args.client_cert else None
        return grpc.secure_channel(address, grpc.ssl_channel_credentials(
            _read(args.ca_cert, "--ca-cert"), key, cert))
    return grpc.insecure_channel(address)


def call_metadata(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The bearer token from --token-file, as call metadata (never logged)."""
    token_file: Path | None = getattr(args, "token_file", None)
    if not token_file:
        return []
    try:
        token = _read(token_file, "--token-file").decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConnectionFileError(f"the --token-file file {token_file} is not UTF-8 text") from None
    return [("authorization", f"Bearer {token}")]
