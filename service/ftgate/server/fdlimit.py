"""The process's limit of open files, raised to what the system allows at start.

Every connection, on either port, is a file descriptor; so are the audit store's files and
sockets and the logs. The soft limit (often 1024) is raised to the hard one at start, and the
HTTP listener keeps a headroom below it (server/http/guard.py) so that idle HTTP connections
cannot take the descriptors gRPC, health checks and the audit store need.
"""

from __future__ import annotations

import resource


def raise_open_files_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # refused by the system: keep the limit given
            return soft
        return hard
    return soft
