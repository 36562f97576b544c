"""The `--workers` supervisor's metrics directory (prometheus_client multiprocess files), named
after the supervisor's pid so that one killed with SIGKILL, which cannot remove its own, has
it removed by the next supervisor that starts."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import structlog

log = structlog.get_logger("ftgate")

_PREFIX = "ftgate-metrics-"
_NAME = re.compile(rf"{_PREFIX}(\d+)-[^/]+")


def worker_metrics_dir() -> Path:
    """A new private directory (mode 0700), ftgate-metrics-<pid>-<random>."""
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale(parent: Path | None = None) -> list[Path]:
    """Remove the metrics directories of supervisors that are gone: ours (same owner), named
    with a pid that no process has now. (A directory without a pid in its name is left alone:
    nothing says whose it is.)"""
    parent = parent or Path(tempfile.gettempdir())
    removed = []
    for path in parent.glob(f"{_PREFIX}*"):
        match = _NAME.fullmatch(path.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if path.lstat().st_uid != os.getuid() or not path.is_dir() or path.is_symlink():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.info("stale_metrics_dirs_removed", paths=[str(p) for p in removed])
    return removed
