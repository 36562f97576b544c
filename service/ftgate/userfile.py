"""Read a file from a path a user gave: regular files only, never blocking, never past a cap.

Rule files, rule test tables, profile files and the CLI's token and certificate files all come
from paths an operator (or an attacker with write access to a directory) chooses. Such a path
may name a FIFO (opening it for reading blocks until a writer appears, forever if none does), a
device (`/dev/zero` never ends), a socket or a directory, directly or through a symlink; or a
regular file far larger than anything ftgate reads. Each is refused here, naming the file and
what was expected, before its content costs memory or time:

- the path is resolved (symlinks followed) and `stat`-ed: anything but a regular file is
  refused without being opened;
- it is then opened with O_NONBLOCK (a FIFO swapped in after the check cannot block the open)
  and `fstat`-ed again: what is read is what was checked;
- a size above the cap is refused from `stat` alone; otherwise at most cap + 1 bytes are read,
  so that a file growing while it is read is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ftgate.errors import FtgateError

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_CHUNK = 64 * 1024


class FileRefused(FtgateError):
    """A user-given file ftgate will not read: `path` as the user wrote it, `reason` says what
    is wrong and what was expected."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


class UnreadableFile(FileRefused):
    """`path` cannot be opened or read; `cause` is the system's word for why ('No such file or
    directory', 'Permission denied')."""

    def __init__(self, path: str, cause: str) -> None:
        self.cause = cause
        super().__init__(path, f"cannot read the file: {cause}")


class NotARegularFile(FileRefused):
    """`path` is `kind` ('a named pipe (FIFO)', 'a directory', ...), through a symlink to
    `target` when that is another path."""

    def __init__(self, path: str, kind: str, target: str | None) -> None:
        self.kind, self.target = kind, target
        super().__init__(path, f"is {self.what}, expected a regular file")

    @property
    def what(self) -> str:
        """What the path names, in words: 'a character device (a link to /dev/zero)'."""
        return self.kind + (f" (a link to {self.target})" if self.target else "")


class FileTooLarge(FileRefused):
    """A regular file above the cap; `size` is its size in bytes (at least `limit` + 1 when it
    grew while being read), `limit` the cap."""

    def __init__(self, path: str, size: int, limit: int) -> None:
        self.size, self.limit = size, limit
        super().__init__(path, f"is {size:,} bytes, more than the limit of {limit:,} bytes")


def kind_of(mode: int) -> str:
    """What a file of this `st_mode` is, in words ('a named pipe (FIFO)', 'a directory', ...)."""
    for test, words in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
                        (stat.S_ISFIFO, "a named pipe (FIFO)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


def _refuse_unless_regular(name: str, target: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        linked = target != os.path.abspath(name)
        raise NotARegularFile(name, kind_of(mode), target if linked else None)


def _unreadable(name: str, exc: OSError) -> UnreadableFile:
    return UnreadableFile(name, exc.strerror or "input/output error")


def check_regular_file(path: str | Path) -> os.stat_result:
    """The `stat` of `path` (symlinks followed) when it is a regular file; FileRefused
    otherwise (missing, unreadable, a FIFO, a device, a socket, a directory). Opens nothing."""
    name = str(path)
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except OSError as exc:
        raise _unreadable(name, exc) from None
    _refuse_unless_regular(name, target, st.st_mode)
    return st


def read_head(path: str | Path, count: int) -> bytes:
    """The first `count` bytes (fewer when the file is shorter) of the regular file `path`.

    FileRefused naming the file when it is not a regular file (checked before opening, and
    again after an open that never blocks) or cannot be read. For callers that word a size
    refusal themselves: read `limit` + 1 bytes, refuse when that many came."""
    name = str(path)
    target = os.path.realpath(path)
    check_regular_file(path)
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:  # removed, or permissions changed, since the check
        raise _unreadable(name, exc) from None
    try:
        _refuse_unless_regular(name, target, os.fstat(fd).st_mode)  # swapped since the check
        return _read_at_most(fd, count, name)
    finally:
        os.close(fd)


def read_file(path: str | Path, limit: int) -> bytes:
    """The whole content of the regular file `path`, at most `limit` bytes.

    FileRefused as read_head, and FileTooLarge when the file holds more than `limit` bytes:
    refused from its size before reading, or after reading `limit` + 1 bytes when it grew."""
    size = check_regular_file(path).st_size
    if size > limit:
        raise FileTooLarge(str(path), size, limit)
    data = read_head(path, limit + 1)
    if len(data) > limit:
        raise FileTooLarge(str(path), len(data), limit)
    return data


def _read_at_most(fd: int, count: int, name: str) -> bytes:
    chunks: list[bytes] = []
    left = count
    try:
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise _unreadable(name, exc) from None
    return b"".join(chunks)
