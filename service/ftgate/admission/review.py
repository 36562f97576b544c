"""An AdmissionReview (admission.k8s.io/v1) as the API server sends it → an AdmissionRequest.

Only what the webhook reads is checked, each mistake a `BadReview` naming the field and what
was expected: the API server answers such a review with its failurePolicy, so the message is
for whoever reads the server log or calls the webhook by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ftgate import bignum
from ftgate.admission.kinds import AdmissionKind
from ftgate.errors import FtgateError

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")


class BadReview(FtgateError):
    """A body that is not an AdmissionReview v1 this webhook can answer; `http_status` is 4xx."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True, slots=True)
class ObjectMeta:
    """What the webhook reads of an object's metadata."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    uid: str
    kind: AdmissionKind
    operation: str
    namespace: str
    user: str  # userInfo.username: who applied it
    dry_run: bool
    object: ObjectMeta | None  # None: DELETE and CONNECT carry none
    old_object: ObjectMeta | None  # UPDATE's stored object


def parse_review(body: bytes) -> AdmissionRequest:
    """The request of an AdmissionReview v1 JSON body; BadReview for anything else."""
    try:
        # Integers of any length are read as what they are (bignum), not converted: a review
        # with 5,000 digits somewhere is answered like any other.
        data = json.loads(body.decode("utf-8"), parse_int=bignum.integer)
    except UnicodeDecodeError:
        raise BadReview("the body is not UTF-8 text; expected an AdmissionReview in JSON") from None
    except json.JSONDecodeError as exc:
        raise BadReview(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                        "expected an AdmissionReview") from None
    except RecursionError:
        raise BadReview("malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadReview(f"expected an AdmissionReview object, got a JSON {_json_type(data)}")
    if data.get("apiVersion") != API_VERSION or data.get("kind") != KIND:
        raise BadReview(f"apiVersion/kind: expected {API_VERSION} {KIND} "
                        f"(admissionReviewVersions: [v1]), got "
                        f"{_shown(data.get('apiVersion'))} {_shown(data.get('kind'))}")
    request = _mapping(data, "request", required=True)
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise BadReview("request.uid: expected the request's uid (a non-empty string), got "
                        f"{_shown(uid)}")
    kind = _mapping(request, "kind", required=True, where="request.")
    operation = request.get("operation")
    if operation not in OPERATIONS:
        raise BadReview(f"request.operation: expected one of {', '.join(OPERATIONS)}, got "
                        f"{_shown(operation)}")
    dry_run = request.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise BadReview(f"request.dryRun: expected true or false, got {_shown(dry_run)}")
    return AdmissionRequest(
        uid=uid,
        kind=AdmissionKind(_text(kind, "group", "request.kind."),
                           _text(kind, "version", "request.kind.", required=True),
                           _text(kind, "kind", "request.kind.", required=True)),
        operation=str(operation), namespace=_text(request, "namespace", "request."),
        user=_text(_mapping(request, "userInfo", where="request."), "username",
                   "request.userInfo."),
        dry_run=dry_run,
        object=_object(request, "object"), old_object=_object(request, "oldObject"))


def _object(request: Mapping[str, Any], key: str) -> ObjectMeta | None:
    obj = request.get(key)
    if obj is None:
        return None
    where = f"request.{key}"
    if not isinstance(obj, dict):
        raise BadReview(f"{where}: expected the object (a JSON object), got {_shown(obj)}")
    meta = _mapping(obj, "metadata", where=where + ".")
    return ObjectMeta(_text(meta, "name", f"{where}.metadata."),
                      _strings(meta, "labels", f"{where}.metadata."),
                      _strings(meta, "annotations", f"{where}.metadata."))


def _mapping(data: Mapping[str, Any], key: str, *, required: bool = False,
             where: str = "") -> Mapping[str, Any]:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise BadReview(f"{where}{key}: expected a JSON object, got {_shown(value)}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key, None)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadReview(f"{where}{key}: expected a string, got {_shown(value)}")
    return value


def _strings(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, str]:
    value = _mapping(data, key, where=where)
    for k, v in value.items():
        if not isinstance(v, str):
            raise BadReview(f"{where}{key}[{k[:100]!r}]: expected a string value, got "
                            f"{_shown(v)}")
    return value


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            bignum.HugeInteger: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value[:80])
    return f"a JSON {_json_type(value)}"
