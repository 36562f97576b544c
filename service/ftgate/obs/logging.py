"""structlog set-up: one JSON object per line on stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from ftgate.obs._fdlogger import FdLoggerFactory


def _stderr_logger_factory() -> Any:
    """One os.write() per line (obs/_fdlogger.py); PrintLogger where stderr has no descriptor."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. replaced by a test's capture
        return structlog.PrintLoggerFactory(sys.stderr)
    return FdLoggerFactory(sys.stderr)


def configure(level: str = "info", **static: Any) -> None:
    """`static` key/values go into every event (e.g. worker=1 in `serve --workers`)."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)

    def add_static(_logger: Any, _name: str, event: MutableMapping[str, Any],
                   ) -> MutableMapping[str, Any]:
        for key, value in static.items():
            event.setdefault(key, value)
        return event

    structlog.configure(
        processors=[
            *([add_static] if static else []),
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger_factory(),
        cache_logger_on_first_use=True,
    )
