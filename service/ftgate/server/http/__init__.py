"""The HTTP/JSON front door of ftgate (edge.py): the gRPC API's methods at the routes the proto's
google.api.http annotations declare, the OpenAPI document, the probes and the web console."""
