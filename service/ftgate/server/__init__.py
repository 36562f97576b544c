"""The gRPC server: listeners, workers, signals, access, gRPC metrics and rule reload; it
hosts the API layer and owns every background thread."""
