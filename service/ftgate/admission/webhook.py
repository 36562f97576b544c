"""What the webhook answers an AdmissionRequest, decided through the one decision path.

    not CREATE/UPDATE, or not labelled ftgate.dev/gate=enforce   → allowed, nothing evaluated
    a kind this server does not gate (--admission-kinds)          → refused, naming the flag
    UPDATE that leaves the profile annotation as it was admitted  → allowed, no new decision
    no ftgate.dev/profile annotation, or a profile that is bad    → refused, naming it
    otherwise: the profile decided (dryRun: kept out of the audit log) → answer.from_decided

--admission-mode warn admits what it would refuse, with the reasons as warnings.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ftgate.admission import answer
from ftgate.admission.answer import Answer
from ftgate.admission.kinds import JOB, AdmissionKind
from ftgate.admission.review import AdmissionRequest
from ftgate.api import answer as decided
from ftgate.api.errors import DeadlineExceeded, ServiceError
from ftgate.errors import InvalidInput
from ftgate.profile_input import ProfileFile, ProfileInputError, read_profile

GATE_LABEL = "ftgate.dev/gate"
GATE_ON = "enforce"
PROFILE_ANNOTATION = "ftgate.dev/profile"

# Decides a profile on the server's decision path: (profile, audit) → its typed answer; raises
# InvalidInput for a profile that breaks the contract, ServiceError when the call must stop.
Decide = Callable[[ProfileFile, bool], decided.Answer]


class AdmissionMode(enum.Enum):
    ENFORCE = "enforce"  # refuse what the policy refuses
    WARN = "warn"  # admit everything; say what would have been refused


@dataclass(frozen=True, slots=True)
class Admission:
    """The webhook's settings: the kinds it gates (batch/v1 Job always) and its mode."""

    kinds: frozenset[AdmissionKind]
    mode: AdmissionMode = AdmissionMode.ENFORCE

    @classmethod
    def of(cls, kinds: Iterable[AdmissionKind] = (), mode: str = "enforce") -> Admission:
        return cls(frozenset({JOB, *kinds}), AdmissionMode(mode))

    def answer(self, request: AdmissionRequest, decide: Decide) -> Answer:
        result = self._answer(request, decide)
        if self.mode is AdmissionMode.WARN:
            return result.as_warning("ftgate (--admission-mode warn) would refuse this object:")
        return result

    def _answer(self, request: AdmissionRequest, decide: Decide) -> Answer:
        obj = request.object
        if request.operation not in ("CREATE", "UPDATE") or obj is None:
            return answer.allowed()
        if obj.labels.get(GATE_LABEL) != GATE_ON:
            return answer.allowed()
        if request.kind not in self.kinds:
            gated = ", ".join(sorted(map(str, self.kinds)))
            return answer.refused(
                f"ftgate: {request.kind} is labelled {GATE_LABEL}={GATE_ON} but this ftgate "
                f"server gates only {gated}: start it with --admission-kinds '{request.kind}', "
                f"or remove the label.")
        profile_text = obj.annotations.get(PROFILE_ANNOTATION)
        old = request.old_object
        if (request.operation == "UPDATE" and old is not None
                and old.labels.get(GATE_LABEL) == GATE_ON
                and old.annotations.get(PROFILE_ANNOTATION) == profile_text):
            return answer.allowed("unchanged")  # admitted before, on this very profile
        if profile_text is None:
            return answer.refused(
                f"ftgate: this {request.kind.kind} is labelled {GATE_LABEL}={GATE_ON} but has no "
                f"annotation {PROFILE_ANNOTATION}: add the project profile there (the YAML or "
                f"JSON that ftgate check reads; ftgate init writes a template).", 422, "Invalid")
        return self._decide(profile_text, request.dry_run, decide)

    def _decide(self, text: str, dry_run: bool, decide: Decide) -> Answer:
        try:
            profile = read_profile(text.encode("utf-8"), PROFILE_ANNOTATION)
            try:
                answered = decide(profile, not dry_run)
            except InvalidInput as exc:
                raise profile.locate(exc.violations) from None
        except ProfileInputError as exc:
            return answer.refused(
                f"ftgate: the profile in annotation {PROFILE_ANNOTATION} cannot be used; fix:\n"
                + "\n".join(f"  {p}" for p in exc.problems), 422, "Invalid")
        except ServiceError as exc:
            late = isinstance(exc, DeadlineExceeded)
            return answer.refused(
                f"ftgate could not decide ({exc.message}); apply again in a moment.",
                504 if late else 503, "Timeout" if late else "ServiceUnavailable")
        return answer.from_decided(answered, dry_run)
