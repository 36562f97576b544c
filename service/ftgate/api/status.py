"""StatusError: the API layer's way to end a call with a given gRPC status."""

from __future__ import annotations

import grpc


class StatusError(Exception):
    """End the call with `code` and `message` (the servicer turns it into the call's status)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
