"""The console's data: the form generated from the ProjectProfile descriptor, and the examples
bundled from examples/ (fresh)."""

from __future__ import annotations

from ftgate.api import convert
from ftgate.server.http import examples
from ftgate.server.http.form import profile_form
from ftgate.v1 import advisor_pb2 as pb
from serverproc import REPO


def leaves(fields: list[dict[str, object]]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for f in fields:
        found += leaves(f["fields"]) if f["kind"] == "group" else [f]  # type: ignore[arg-type]
    return found


def proto_paths(descriptor: object, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for f in descriptor.fields:  # type: ignore[attr-defined]
        if f.message_type is not None:
            paths += proto_paths(f.message_type, prefix + f.name + ".")
        else:
            paths.append(prefix + f.name)
    return paths


def test_one_input_per_profile_field_named_by_its_proto_path() -> None:
    form = leaves(profile_form()["fields"])
    assert [f["name"] for f in form] == proto_paths(pb.ProjectProfile.DESCRIPTOR)


def test_enums_ranges_and_help_come_from_the_contract() -> None:
    form = {f["name"]: f for f in leaves(profile_form()["fields"])}
    goal = form["goal"]
    assert goal["kind"] == "enum"
    assert [c["value"] for c in goal["choices"]] == [  # type: ignore[union-attr]
        v.name for v in pb.Goal.DESCRIPTOR.values if v.number]
    assert form["symptoms"]["kind"] == "enum_list"
    assert (form["economics.requests_per_day"]["min"],
            form["economics.requests_per_day"]["max"]) == (0.0, convert.MAX_REQUESTS_PER_DAY)
    assert form["target_score"]["max"] == 1.0
    assert form["quality_examples"]["kind"] == "integer"
    assert form["dedicated_model"]["kind"] == "bool"
    assert form["economics.requests_per_day"]["help"] == (
        "Requests served per day by the model in production.")


def test_the_bundled_examples_are_fresh() -> None:
    bundled = (REPO / "service/ftgate/server/http/console/examples.json").read_text("utf-8")
    assert bundled == examples.render(REPO / "examples"), \
        "examples/ changed: run `make docs` and commit the result"
