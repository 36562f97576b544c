"""The HTTP/JSON front door of ftgate: the gRPC API's methods at the routes the proto's
google.api.http annotations declare, the OpenAPI document, the probes and the web console."""

from ftgate.server.http.edge import HttpEdge, start_http

__all__ = ["HttpEdge", "start_http"]
