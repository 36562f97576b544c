"""What is wrong with a profile, where: the one shape every profile error takes, at every door."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ftgate.domain.profile import Profile
from ftgate.errors import FtgateError, Violation
from ftgate.v1 import advisor_pb2 as pb


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix in a profile: where (file and line when there is a file; the field as
    the client wrote it) and what (expected, found and a suggestion, when the description has
    those parts: `describe.parts`)."""

    file: str | None
    line: int | None
    field: str | None
    description: str

    def __str__(self) -> str:
        where = (f"{self.file}:{self.line}" if self.line else self.file) if self.file else ""
        said = f"{self.field}: {self.description}" if self.field else self.description
        return f"{where}: {said}" if where else said

    def violation(self) -> Violation:
        """The problem as a field violation (BadRequest, HTTP), the description's parts kept."""
        return Violation(self.field or "request", self.description)


class ProfileInputError(FtgateError):
    """A profile that cannot be used; `problems` says each thing to fix."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True, slots=True)
class ProfileFile:
    """A profile as read, the line of each field (for the contract's checks), and each field's
    path as written, both by proto path."""

    file: str | None
    message: pb.ProjectProfile
    lines: Mapping[str, int]
    written: Mapping[str, str] = field(default_factory=dict)
    # The profile as the contract's checks validated it (read_profile_document), for the
    # service not to check it again; None until then.
    validated: Profile | None = None

    def locate(self, violations: Sequence[Violation]) -> ProfileInputError:
        """The contract's violations (server or local), placed on the lines of the file."""
        return ProfileInputError(sorted((self.problem(v) for v in violations),
                                        key=lambda p: p.line or 0))

    def problem(self, violation: Violation) -> Problem:
        """A violation (proto path) as a problem of this input (line, path as written)."""
        return Problem(self.file, _nearest(self.lines, violation.field) or None,
                       spelled(self.written, violation.field), violation.description)


def _nearest(found: Mapping[str, int], path: str) -> int | None:
    while path:
        if path in found:
            return found[path]
        path = _parent(path)
    return None


def _parent(path: str) -> str:
    return path.rpartition(".")[0] if not path.endswith("]") else path.rpartition("[")[0]


def spelled(written: Mapping[str, str], path: str) -> str:
    """`path` (proto names) as the client wrote it: the longest written prefix, then the rest."""
    rest = ""
    head = path
    while head:
        if head in written:
            return written[head] + rest
        parent = _parent(head)
        rest = head[len(parent):] + rest
        head = parent
    return path

