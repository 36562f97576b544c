"""The one table of ftgate.v1 enum names, derived from the generated descriptors.

Rule files, the engine's decisions, logs, metric labels, the audit log and reports speak of
`FINE_TUNE` or `INSUFFICIENT_DATA` (the short name); messages carry `VERDICT_FINE_TUNE` = 1.
Every module that needs the names of an enum asks its `EnumNames` here: nothing else spells them,
so a value added to the proto reaches the rules vocabulary, the audit log and the CLI at once
(tests/test_enums.py ties them together).
"""

from __future__ import annotations

from typing import Any

from ftgate.v1 import advisor_pb2 as pb


class EnumNames:
    """The values of one proto enum: number ↔ short name ↔ full name. `names` are the short
    names of the real values (UNSPECIFIED, number 0, left out), in proto order."""

    __slots__ = ("_numbers", "_shorts", "enum", "name", "names", "prefix")

    def __init__(self, enum: Any) -> None:
        self.enum = enum
        self.name: str = enum.DESCRIPTOR.name
        self.prefix = "".join(f"_{c}" if c.isupper() and i else c
                              for i, c in enumerate(self.name)).upper() + "_"
        self._shorts: dict[int, str] = {
            v.number: v.name.removeprefix(self.prefix) for v in enum.DESCRIPTOR.values}
        self._numbers = {short: number for number, short in self._shorts.items()}
        self.names: tuple[str, ...] = tuple(s for n, s in self._shorts.items() if n)

    def short(self, number: int) -> str:
        """short(1) == "FINE_TUNE" for Verdict; KeyError for a number the enum does not have."""
        return self._shorts[number]

    def short_or_none(self, number: int) -> str | None:
        """The short name of a real value; None for 0 (unset) or an unknown number."""
        return self._shorts.get(number) if number else None

    def number(self, short: str | None) -> Any:
        """The number of a short name (0 for None or ""), typed as the generated ValueType;
        ValueError for a name the enum does not have."""
        if not short:
            return 0
        value = self._numbers.get(short)
        if value is None:
            raise ValueError(f"{self.name} has no value {self.prefix + short}")
        return value

    def full(self, short: str) -> str:
        """The proto name of a short name: full("FINE_TUNE") == "VERDICT_FINE_TUNE"."""
        self.number(short)  # raises for an unknown name
        return self.prefix + short

    def from_full(self, full: str) -> str | None:
        """The short name of a proto name ("VERDICT_FINE_TUNE" → "FINE_TUNE"), else None."""
        short = full.removeprefix(self.prefix)
        return short if full.startswith(self.prefix) and short in self._numbers and \
            self._numbers[short] else None


TASK_TYPE = EnumNames(pb.TaskType)
GOAL = EnumNames(pb.Goal)
DOMAIN = EnumNames(pb.Domain)
CHANGE_FREQUENCY = EnumNames(pb.ChangeFrequency)
TUNING_METHOD = EnumNames(pb.TuningMethod)
SYMPTOM = EnumNames(pb.Symptom)
VERDICT = EnumNames(pb.Verdict)
OUTCOME = EnumNames(pb.Outcome)
FAILURE_MODE = EnumNames(pb.FailureMode)
SEVERITY = EnumNames(pb.Severity)
ALTERNATIVE_KIND = EnumNames(pb.AlternativeKind)
WAIVER_STATE = EnumNames(pb.WaiverState)

# The enum-valued fields of a ProjectProfile, by field name.
PROFILE_FIELDS: dict[str, EnumNames] = {
    "task_type": TASK_TYPE, "goal": GOAL, "domain": DOMAIN,
    "data_change_frequency": CHANGE_FREQUENCY, "planned_method": TUNING_METHOD,
    "symptoms": SYMPTOM,
}

_BY_ENUM = {t.enum: t for t in (TASK_TYPE, GOAL, DOMAIN, CHANGE_FREQUENCY, TUNING_METHOD, SYMPTOM,
                                VERDICT, OUTCOME, FAILURE_MODE, SEVERITY, ALTERNATIVE_KIND,
                                WAIVER_STATE)}


def of(enum: Any) -> EnumNames:
    """The table of a generated enum (pb.Verdict → VERDICT)."""
    return _BY_ENUM[enum]
