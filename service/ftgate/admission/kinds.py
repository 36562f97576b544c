"""The kinds of object the webhook gates: batch/v1 Job always, and those of --admission-kinds."""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_VERSION = re.compile(r"^v[0-9]+((alpha|beta)[0-9]+)?$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True, slots=True)
class AdmissionKind:
    """A group/version/kind, as an AdmissionRequest's `kind` names it ('' is the core group)."""

    group: str
    version: str
    kind: str

    def __str__(self) -> str:
        return f"{self.group}/{self.version} {self.kind}" if self.group else \
            f"{self.version} {self.kind}"


JOB = AdmissionKind("batch", "v1", "Job")


def parse_kind(text: str) -> AdmissionKind:
    """'kubeflow.org/v1 PyTorchJob' → AdmissionKind; ValueError saying what was expected."""
    expected = ("expected 'GROUP/VERSION Kind' as kubectl api-resources shows it, e.g. "
                f"'kubeflow.org/v1 PyTorchJob', got {text.strip()!r}")
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(expected)
    api_version, kind = parts
    group, _, version = api_version.rpartition("/")
    if not _VERSION.match(version) or not _KIND.match(kind) or (group and not _GROUP.match(group)):
        raise ValueError(expected)
    return AdmissionKind(group, version, kind)


def parse_kinds(text: str) -> tuple[AdmissionKind, ...]:
    """A comma-separated list of kinds ('' for none)."""
    return tuple(parse_kind(item) for item in text.split(",") if item.strip())
