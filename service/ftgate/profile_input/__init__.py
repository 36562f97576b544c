"""Profile files as people write them: read with located errors, explained, templated."""

from ftgate.profile_input.reader import (
    Problem,
    ProfileFile,
    ProfileInputError,
    read_profile,
)

__all__ = ["Problem", "ProfileFile", "ProfileInputError", "read_profile"]
