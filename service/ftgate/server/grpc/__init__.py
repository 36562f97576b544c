"""The gRPC edge: the service's typed answers as bytes, its typed errors as statuses."""
