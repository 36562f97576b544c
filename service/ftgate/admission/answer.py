"""What the webhook answers: an `Answer` (allowed or refused, and why), and the AdmissionReview
that carries it back to the API server, which shows `message` and `warnings` to the person who
ran `kubectl` and writes `auditAnnotations` to its audit log."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ftgate import enums
from ftgate.admission.review import API_VERSION, KIND
from ftgate.v1 import advisor_pb2 as pb

# The API server prefixes each key with the webhook's name (docs/gate.md): with the webhook
# `gate.ftgate.dev`, its audit log shows `gate.ftgate.dev/decision-id`.
DECISION_ID = "decision-id"
RULESET_VERSION = "ruleset-version"
WAIVER_IDS = "waiver-ids"  # the waivers that kept a blocker from blocking, comma-separated
# The API server may cut longer warnings (and advises 120 characters).
MAX_WARNING = 256


@dataclass(frozen=True, slots=True)
class Answer:
    allowed: bool
    message: str = ""  # why it was refused (status.message), lines a developer can act on
    code: int = 200  # status.code of a refusal
    reason: str = ""  # status.reason of a refusal (Forbidden, Invalid...)
    warnings: tuple[str, ...] = ()
    audit: dict[str, str] = field(default_factory=dict)  # auditAnnotations
    # Which answer, for the counter ftgate_admission_reviews_total: not_gated, unchanged,
    # admitted (decided FINE_TUNE), refused, or warned (a refusal in warn mode).
    kind: str = "not_gated"

    def as_warning(self, mode_note: str) -> Answer:
        """A refusal turned into an admission with warnings (--admission-mode warn)."""
        if self.allowed:
            return self
        lines = [mode_note, *self.message.splitlines()]
        return replace(self, allowed=True, message="", code=200, reason="",
                       warnings=self.warnings + tuple(lines), kind="warned")


def allowed(kind: str = "not_gated") -> Answer:
    return Answer(True, kind=kind)


def refused(message: str, code: int = 403, reason: str = "Forbidden") -> Answer:
    return Answer(False, message, code, reason, kind="refused")


def review(uid: str, answer: Answer) -> dict[str, Any]:
    """The AdmissionReview v1 answering the request `uid`."""
    response: dict[str, Any] = {"uid": uid, "allowed": answer.allowed}
    if not answer.allowed:
        response["status"] = {"status": "Failure", "code": answer.code,
                              "reason": answer.reason, "message": answer.message}
    if answer.warnings:
        response["warnings"] = [_clip(w) for w in answer.warnings if w.strip()]
    if answer.audit:
        response["auditAnnotations"] = dict(answer.audit)
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}


def from_assessment(a: pb.Assessment, dry_run: bool) -> Answer:
    """FINE_TUNE admits; DO_NOT_FINE_TUNE and NEEDS_INFORMATION refuse, saying why."""
    verdict = enums.VERDICT.short(a.verdict)
    recorded = "dry run, not recorded" if dry_run else "recorded"
    decision = f"Decision {a.decision_id} ({recorded}; ruleset {a.ruleset_version})"
    audit = {DECISION_ID: a.decision_id, RULESET_VERSION: a.ruleset_version}
    if a.waivers_applied:
        audit[WAIVER_IDS] = ",".join(w.id for w in a.waivers_applied)
    project = f"project {a.project_name!r}" if a.project_name else "the project"
    if verdict == "FINE_TUNE":
        return Answer(True, warnings=(f"ftgate: FINE_TUNE for {project}. {decision}",
                                      *_waived(a)), audit=audit, kind="admitted")
    if verdict == "NEEDS_INFORMATION":
        lines = [f"ftgate: NEEDS_INFORMATION for {project}: the profile in annotation "
                 "ftgate.dev/profile lacks what the decision tree needs:",
                 *(f"  - {path}" for path in a.missing_fields),
                 "Add these fields (ftgate check on the profile explains each) and apply again.",
                 decision]
        return replace(refused("\n".join(lines), 422, "Invalid"), audit=audit)
    lines = [f"ftgate: DO_NOT_FINE_TUNE for {project}"
             + (f" (outcome {enums.OUTCOME.short(a.outcome)})" if a.outcome else "") + "."]
    if a.decision_path:
        step = a.decision_path[-1]  # where the walk of the tree stopped
        lines.append(f"Blocked at step {step.step}: {step.question} "
                     f"{'yes' if step.answer else 'no'}: {step.reason}")
    for f in a.findings:
        if f.waiver_id:
            lines.append(f"Waived {f.rule_id} (waiver {f.waiver_id}): does not block.")
        elif enums.SEVERITY.short(f.severity) == "BLOCKER":
            # The step above carries the figures; a finding past the tree brings its own.
            said = f.title if a.decision_path else f.message
            lines.append(f"Blocker {f.rule_id}: {said}. Fix: {f.recommendation}")
    if a.alternatives:
        alt = a.alternatives[0]
        kind = enums.ALTERNATIVE_KIND.short(alt.kind).replace("_", " ").lower()
        lines.append(f"Instead: {kind}: {alt.rationale}"
                     + (f" ({', '.join(alt.details)})" if alt.details else ""))
    lines.append(f"{decision}; ftgate decisions show {a.decision_id} prints the whole answer.")
    return replace(refused("\n".join(lines)), audit=audit)


def _waived(a: pb.Assessment) -> tuple[str, ...]:
    """One warning per waiver the answer was decided under."""
    return tuple(f"ftgate: allowed under waiver {w.id} (expires "
                 f"{w.expires_at.ToDatetime().strftime('%Y-%m-%d %H:%M UTC')}; waives "
                 f"{', '.join(w.rule_ids)}; approved by {' '.join(w.approved_by.split())})"
                 for w in a.waivers_applied)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_WARNING else text[:MAX_WARNING - 1] + "…"
