"""The gRPC face of ftgate: proto <-> domain mapping, validation, servicer and server."""
