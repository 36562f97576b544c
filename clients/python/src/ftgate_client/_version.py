"""The version of the ftgate-client distribution."""

__version__ = "1.0.0"
