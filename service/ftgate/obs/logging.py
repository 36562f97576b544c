"""structlog set-up: one JSON object per line on stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog


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
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
