"""The proto's comments, by full name, and its HTTP bindings (google.api.http annotations).

Comments are not in the runtime descriptors (advisor_pb2): `make proto` writes the descriptor
set with source info beside them (v1/advisor.binpb), and this module reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from google.api import annotations_pb2  # type: ignore[import-untyped]
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import MethodDescriptor

from ftgate.v1 import advisor_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"]
# FileDescriptorProto field numbers: message_type, enum_type, service; their members.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM, _ENUM_VALUE, _METHOD = 2, 3, 4, 2, 2


@dataclass(frozen=True)
class Binding:
    """One HTTP route of a method: verb, path template (`/v1/decisions/{decision_id}`), and
    whether the request is the JSON body (`*`), one field of it (`body_field`) or the path
    and query parameters."""

    method: MethodDescriptor
    verb: str
    path: str
    body: bool
    # `body: "outcome"`: the JSON body is this field of the request, the rest is in the path.
    body_field: str = ""


@cache
def bindings() -> tuple[Binding, ...]:
    found = []
    for method in SERVICE.methods:
        rule = method.GetOptions().Extensions[annotations_pb2.http]
        verb = rule.WhichOneof("pattern")
        if verb is None or verb == "custom":
            continue
        found.append(Binding(method, verb.upper(), getattr(rule, verb), rule.body == "*",
                             "" if rule.body == "*" else rule.body))
    return tuple(found)


def path_parameters(template: str) -> list[str]:
    return re.findall(r"\{([a-z_][a-z0-9_.]*)\}", template)


@cache
def comments() -> dict[str, str]:
    """Leading comment of each message, field, enum, enum value, service and method."""
    data = resources.files("ftgate.v1").joinpath("advisor.binpb").read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    proto = next(f for f in files.file if f.name == pb.DESCRIPTOR.name)
    names: dict[tuple[int, ...], str] = {}
    package = proto.package

    def message(path: tuple[int, ...], msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        full = f"{scope}.{msg.name}"
        names[path] = full
        for i, f in enumerate(msg.field):
            names[(*path, _FIELD, i)] = f"{full}.{f.name}"
        for i, nested in enumerate(msg.nested_type):
            message((*path, _NESTED, i), nested, full)
        for i, e in enumerate(msg.enum_type):
            enum((*path, _NESTED_ENUM, i), e, full)

    def enum(path: tuple[int, ...], e: descriptor_pb2.EnumDescriptorProto, scope: str) -> None:
        names[path] = f"{scope}.{e.name}"
        for i, v in enumerate(e.value):  # enum values live in the enum's scope
            names[(*path, _ENUM_VALUE, i)] = f"{scope}.{e.name}.{v.name}"

    for i, m in enumerate(proto.message_type):
        message((_MESSAGE, i), m, package)
    for i, e in enumerate(proto.enum_type):
        enum((_ENUM, i), e, package)
    for i, s in enumerate(proto.service):
        names[(_SERVICE, i)] = f"{package}.{s.name}"
        for j, rpc in enumerate(s.method):
            names[(_SERVICE, i, _METHOD, j)] = f"{package}.{s.name}.{rpc.name}"
    found = {}
    for location in proto.source_code_info.location:
        name = names.get(tuple(location.path))
        text = location.leading_comments.strip()
        if name and text:
            found[name] = " ".join(line.strip() for line in text.splitlines()).strip()
    return found
