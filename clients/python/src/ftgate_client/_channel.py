"""Channel settings shared by Client and AsyncClient: retry config, credentials, metadata."""

from __future__ import annotations

import json

import grpc

from ftgate_client._version import __version__

SERVICE = "ftgate.v1.FineTuningAdvisorService"
HEALTH_SERVICE = "grpc.health.v1.Health"
DEFAULT_TIMEOUT = 10.0

# gRPC retries the call itself (transparently, within the call's deadline) on UNAVAILABLE only:
# every ftgate method is a read, so a retry is safe, and other codes are answers, not accidents.
# gRPC caps maxAttempts at 5. Backoffs 0.2, 0.4, 0.8, 1.6 s (with jitter): an unreachable server
# fails with UNAVAILABLE after about 3 s, and a server restarting within that time is not noticed.
RETRY_POLICY = {
    "maxAttempts": 5,
    "initialBackoff": "0.2s",
    "maxBackoff": "3s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
SERVICE_CONFIG = {
    "methodConfig": [
        {
            "name": [{"service": SERVICE}, {"service": HEALTH_SERVICE}],
            "retryPolicy": RETRY_POLICY,
        }
    ]
}

# Tls: False (plaintext), True (TLS with the system roots), or ready-made channel credentials.
TlsLike = bool | grpc.ChannelCredentials
Metadata = tuple[tuple[str, str], ...]


def channel_options() -> list[tuple[str, str | int]]:
    """The options of every ftgate channel."""
    return [
        ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
        ("grpc.enable_retries", 1),
        # Reconnect quickly after the server (re)starts, so the retries above can reach it.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 2000),
        ("grpc.primary_user_agent", f"ftgate-client-python/{__version__}"),
    ]


def credentials(tls: TlsLike) -> grpc.ChannelCredentials | None:
    """The channel credentials for ``tls``, or None for a plaintext channel."""
    if isinstance(tls, grpc.ChannelCredentials):
        return tls
    return grpc.ssl_channel_credentials() if tls else None


def call_metadata(token: str | None) -> Metadata:
    """The metadata sent with every call: the bearer token when there is one."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def check_timeout(timeout: float) -> float:
    """Every call has a deadline: a positive, finite number of seconds."""
    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)
