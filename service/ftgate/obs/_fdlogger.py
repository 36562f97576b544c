"""A structlog logger that writes each line with one os.write() on the stream's descriptor.

structlog's PrintLogger takes a Python lock and calls print(..., flush=True) under it. In the
server every Evaluate logs its decision from one of the gRPC threads: while one thread sits in the
write (GIL released), the others queue on the lock, and each of them then waits for the GIL again
(docs/performance.md). One os.write() per line needs no Python lock (the kernel keeps a line of
less than PIPE_BUF bytes whole) and the line is on the stream before the call answers, as before.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class FdLogger:
    """Writes each message and a newline to the file descriptor of `stream` (default stderr)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        stream.flush()  # what Python buffered so far comes first
        self._fd = stream.fileno()

    def msg(self, message: str) -> None:
        self.write(message + "\n")

    def write(self, text: str) -> None:
        """Write `text` as it is (whole lines), however many writes it takes."""
        data = text.encode("utf-8", "replace")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


class FdLoggerFactory:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.logger = FdLogger(stream)

    def __call__(self, *args: Any) -> FdLogger:
        return self.logger
