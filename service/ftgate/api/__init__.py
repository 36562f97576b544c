"""The API without a transport: validation, the one decision path, typed answers and errors;
the doors (server/grpc, server/http, the CLI) map them."""
