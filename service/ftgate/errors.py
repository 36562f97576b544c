"""The errors of ftgate's domain; the API layer alone maps them to gRPC status codes."""

from __future__ import annotations

from dataclasses import dataclass


class FtgateError(Exception):
    """Base of every error ftgate raises on purpose."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One bad field of a request: its path (proto field names) and what is wrong with it."""

    field: str
    description: str


class InvalidInput(FtgateError):
    """A request breaks the contract; `violations` names each bad field."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


class InvalidProfile(InvalidInput):
    """A project profile breaks the contract."""


class RuleFileError(FtgateError):
    """A rule file is unreadable or does not follow the rule schema."""

    def __init__(self, file: str, message: str, rule: str | None = None, field: str | None = None):
        self.file, self.rule, self.field, self.message = file, rule, field, message
        where = file + (f": rule {rule}" if rule else "") + (f": field {field}" if field else "")
        super().__init__(f"{where}: {message}")
