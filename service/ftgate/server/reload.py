"""Rule reload while serving: poll the rule directory (and answer SIGHUP), swap in good rules only.

The engine does the safe part (load, validate and compile off to the side, then one reference
swap; a broken file raises RuleFileError and the last good policy keeps serving). This module
decides *when*: a change of the directory's listing, sizes or modification times, seen twice in a
row so that a file being written is not read half-way, or an explicit request (SIGHUP).

Looking never opens a file (`stat` only), and the loader reads each one through
ftgate.userfile: a FIFO, a device or a file above the engine's `max_file_bytes` is refused by
name without blocking, so this thread is never stuck on one file and always sees the next
change and the stop request.
"""

from __future__ import annotations

import threading
from pathlib import Path

import structlog

from ftgate.engine import Engine
from ftgate.errors import RuleFileError
from ftgate.obs import metrics

log = structlog.get_logger("ftgate")

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(directory: Path) -> Fingerprint:
    """Name, size and modification time of each rule file (symlinks followed, as ConfigMaps use)."""
    entries = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            st = path.stat()
        except OSError:  # removed while listing, or a dangling symlink: part of the change
            entries.append((path.name, -1, -1))
            continue
        entries.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(entries)


def reload_rules(engine: Engine, trigger: str) -> bool | None:
    """Reload once; True swapped, False unchanged, None failed (the old rules keep serving)."""
    try:
        changed = engine.reload()
    except RuleFileError as exc:
        metrics.RULES_RELOAD.labels("failure").inc()
        log.error("rules_reload_failed", trigger=trigger, file=exc.file, rule=exc.rule,
                  field=exc.field, error=exc.message,
                  ruleset_version=engine.ruleset.version)
        return None
    except Exception as exc:  # a compile error of the rule engine: same policy, keep the old
        metrics.RULES_RELOAD.labels("failure").inc()
        log.error("rules_reload_failed", trigger=trigger, error=repr(exc),
                  ruleset_version=engine.ruleset.version)
        return None
    rs = engine.ruleset
    if not changed:
        log.info("rules_unchanged", trigger=trigger, ruleset_version=rs.version)
        return False
    metrics.RULES_RELOAD.labels("success").inc()
    metrics.record_ruleset(rs.version, len(rs.rules))
    log.info("rules_reloaded", trigger=trigger, ruleset_version=rs.version, rules=len(rs.rules))
    return True


class RulesWatcher:
    """A daemon thread that reloads the engine's rules when their directory changes (a piece
    of the server's background work, obs/background.py).

    `interval` seconds between looks (0 disables polling; `request()` still works).
    """

    name = "rules_watcher"

    def __init__(self, engine: Engine, interval: float = 2.0) -> None:
        self.engine = engine
        self.interval = interval
        self._requested = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ftgate-rules", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """Reload as soon as possible. (Not from a signal handler: Event.set takes a lock,
        server/signals.py.)"""
        self._requested.set()

    def flush(self) -> None:
        """Nothing is pending between two looks."""

    def stop(self, timeout: float = 10.0) -> bool:
        """End the thread; a reload under way finishes first (False: still compiling after
        `timeout` seconds)."""
        self._stopping.set()
        self._requested.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        directory = self.engine.rules_dir
        seen = fingerprint(directory)
        pending: Fingerprint | None = None
        wait = self.interval if self.interval > 0 else None
        while not self._stopping.is_set():
            requested = self._requested.wait(wait)
            if self._stopping.is_set():
                return
            if requested:
                self._requested.clear()
                seen, pending = fingerprint(directory), None
                reload_rules(self.engine, "signal")
                continue
            now = fingerprint(directory)
            if now == seen:
                pending = None
            elif now == pending:  # the same new state twice in a row: writes have settled
                seen, pending = now, None
                reload_rules(self.engine, "watch")
            else:
                pending = now
