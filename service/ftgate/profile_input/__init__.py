"""Profile files as people write them: read with located errors, explained, templated."""

from ftgate.profile_input.problems import Problem, ProfileFile, ProfileInputError
from ftgate.profile_input.reader import (
    read_profile,
    read_profile_document,
    read_request_profiles,
)

__all__ = ["Problem", "ProfileFile", "ProfileInputError", "read_profile", "read_profile_document",
           "read_request_profiles"]
