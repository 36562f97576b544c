"""What is wrong with a profile file, where: the one shape every profile error takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ftgate.errors import FtgateError, Violation
from ftgate.v1 import advisor_pb2 as pb


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix in a profile file: where (file, line, field) and what."""

    file: str
    line: int | None
    field: str | None
    description: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.description}" if self.field \
            else f"{where}: {self.description}"


class ProfileInputError(FtgateError):
    """A profile file that cannot be used; `problems` says each thing to fix."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True, slots=True)
class ProfileFile:
    """A profile read from a file, and the line of each field (for the contract's checks)."""

    file: str
    message: pb.ProjectProfile
    lines: Mapping[str, int]

    def locate(self, violations: Sequence[Violation]) -> ProfileInputError:
        """The contract's violations (server or local), placed on the lines of the file."""
        problems = [Problem(self.file, self._line(v.field), v.field, v.description)
                    for v in violations]
        return ProfileInputError(sorted(problems, key=lambda p: p.line or 0))

    def _line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0] if "[" not in path else path.rpartition("[")[0]
        return None
