"""The comments of proto/ftgate/v1/advisor.proto, read from the descriptor set generated with it.

The generated Python code keeps no comments; `scripts/gen_proto.sh` writes `v1/advisor.binpb`
with source info, so the template and the schema explain each field in the contract's words.
"""

from __future__ import annotations

import functools
from importlib import resources

from google.protobuf import descriptor_pb2

# Field numbers of FileDescriptorProto / DescriptorProto used in source-info paths.
_MESSAGE_TYPE, _ENUM_TYPE, _FIELD, _ENUM_VALUE = 4, 5, 2, 2


@functools.cache
def comments() -> dict[str, str]:
    """Leading comment of every message, field, enum and enum value, by full name
    (`ftgate.v1.ProjectProfile.goal`, `ftgate.v1.Goal`, `ftgate.v1.GOAL_KNOWLEDGE`)."""
    data = resources.files("ftgate.v1").joinpath("advisor.binpb").read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    found: dict[str, str] = {}
    for file in files.file:
        by_path = {tuple(loc.path): " ".join(loc.leading_comments.split())
                   for loc in file.source_code_info.location if loc.leading_comments}
        package = file.package
        for i, message in enumerate(file.message_type):
            name = f"{package}.{message.name}"
            found[name] = by_path.get((_MESSAGE_TYPE, i), "")
            for j, field in enumerate(message.field):
                found[f"{name}.{field.name}"] = by_path.get((_MESSAGE_TYPE, i, _FIELD, j), "")
        for i, enum in enumerate(file.enum_type):
            found[f"{package}.{enum.name}"] = by_path.get((_ENUM_TYPE, i), "")
            for j, value in enumerate(enum.value):
                found[f"{package}.{value.name}"] = by_path.get((_ENUM_TYPE, i, _ENUM_VALUE, j), "")
    return found


def comment(full_name: str) -> str:
    """The comment of one element ('' when it has none)."""
    return comments().get(full_name, "")
