"""ftgate.userfile, the one reader of files from a user's path: what it refuses, in words."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from ftgate.userfile import (
    FileTooLarge,
    NotARegularFile,
    UnreadableFile,
    check_regular_file,
    read_file,
    read_head,
)


def _socket_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


@pytest.mark.parametrize(("make", "kind"), [
    (lambda d: (os.mkfifo(d / "f.yaml"), d / "f.yaml")[1], "a named pipe (FIFO)"),
    (lambda d: Path("/dev/zero"), "a character device"),
    (lambda d: (d / "dir.yaml", (d / "dir.yaml").mkdir())[0], "a directory"),
    (_socket_file, "a socket"),
], ids=["fifo", "device", "directory", "socket"])
def test_anything_but_a_regular_file_is_refused_naming_what_it_is(tmp_path: Path, make,
                                                                  kind: str) -> None:
    path = make(tmp_path)
    for read in (lambda: read_file(path, 100), lambda: read_head(path, 100),
                 lambda: check_regular_file(path)):
        with pytest.raises(NotARegularFile) as caught:
            read()
        assert caught.value.kind == kind
        assert str(caught.value) == f"{path}: is {kind}, expected a regular file"


def test_a_symlink_is_followed_and_its_target_named(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotARegularFile) as caught:
        read_file(link, 100)
    assert str(caught.value) == (f"{link}: is a character device (a link to /dev/zero), "
                                 "expected a regular file")
    good = tmp_path / "good.yaml"
    good.write_bytes(b"kind: plan\n")
    (tmp_path / "to-good.yaml").symlink_to(good)
    assert read_file(tmp_path / "to-good.yaml", 100) == b"kind: plan\n"


def test_the_cap_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 10)
    assert read_file(path, 10) == b"x" * 10
    with pytest.raises(FileTooLarge) as caught:
        read_file(path, 9)
    assert (caught.value.size, caught.value.limit) == (10, 9)
    assert str(caught.value) == f"{path}: is 10 bytes, more than the limit of 9 bytes"
    assert read_head(path, 4) == b"xxxx"


def test_a_missing_file_is_named_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_file(tmp_path / "nope.yaml", 10)
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: cannot read the file: " \
                                "No such file or directory"
