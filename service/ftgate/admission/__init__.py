"""Admission control: ftgate as a Kubernetes validating admission webhook, without a transport.

review.py reads an AdmissionReview, kinds.py says which kinds are gated, webhook.py decides what to
answer (through the same decision path as every other call), answer.py writes the answer.
"""

from ftgate.admission.kinds import AdmissionKind, parse_kinds
from ftgate.admission.review import AdmissionRequest, BadReview, parse_review
from ftgate.admission.webhook import Admission, AdmissionMode

__all__ = ["Admission", "AdmissionKind", "AdmissionMode", "AdmissionRequest", "BadReview",
           "parse_kinds", "parse_review"]
