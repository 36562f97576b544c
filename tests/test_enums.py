"""One table of enum names: the proto, the rules vocabulary, the audit log, metrics and the CLI
all speak of the same values, derived from the generated descriptors."""

from __future__ import annotations

import pytest
from ftgate import enums
from ftgate.audit.profile_json import profile_json
from ftgate.cli.decisions import parse_verdict
from ftgate.cli.exits import VERDICT_EXIT
from ftgate.domain import profile as domain
from ftgate.ruleset import loader
from ftgate.ruleset.vocabulary import FACTS
from ftgate.v1 import advisor_pb2 as pb
from google.protobuf import json_format


def test_every_enum_of_the_proto_has_a_table() -> None:
    for enum in pb.DESCRIPTOR.enum_types_by_name.values():
        table = enums.of(getattr(pb, enum.name))
        assert [table.full(s) for s in table.names] == [v.name for v in enum.values if v.number]
        assert all(table.number(s) == enum.values_by_name[table.full(s)].number
                   for s in table.names)


def test_the_rules_vocabulary_is_the_proto_s() -> None:
    assert FACTS["task_type"].values == enums.TASK_TYPE.names == domain.TASK_TYPES
    assert FACTS["goal"].values == enums.GOAL.names
    assert FACTS["domain"].values == enums.DOMAIN.names
    assert FACTS["data_change_frequency"].values == enums.CHANGE_FREQUENCY.names
    assert FACTS["planned_method"].values == enums.TUNING_METHOD.names
    assert FACTS["symptoms"].values == enums.SYMPTOM.names
    assert enums.FAILURE_MODE.names == loader.FAILURE_MODES
    assert enums.SEVERITY.names == loader.SEVERITIES
    assert enums.OUTCOME.names == loader.OUTCOMES
    assert enums.ALTERNATIVE_KIND.names == loader.ALTERNATIVE_KINDS
    for field, table in enums.PROFILE_FIELDS.items():
        assert pb.ProjectProfile.DESCRIPTOR.fields_by_name[field].enum_type.name == table.name


def test_the_audit_copy_of_a_profile_parses_back_into_the_same_message() -> None:
    for values in zip(*(t.names for t in enums.PROFILE_FIELDS.values() if t is not enums.SYMPTOM),
                      strict=False):
        fields = dict(zip([f for f in enums.PROFILE_FIELDS if f != "symptoms"], values,
                          strict=True))
        profile = domain.Profile(**fields, symptoms=enums.SYMPTOM.names[:2])
        message = json_format.Parse(profile_json(profile), pb.ProjectProfile())
        for field, short in fields.items():
            assert enums.PROFILE_FIELDS[field].short(getattr(message, field)) == short
        assert [enums.SYMPTOM.short(s) for s in message.symptoms] == list(
            enums.SYMPTOM.names[:2])


def test_the_cli_knows_every_verdict() -> None:
    assert set(VERDICT_EXIT) == set(enums.VERDICT.names)
    for short in enums.VERDICT.names:
        assert parse_verdict(short.lower()) == parse_verdict(enums.VERDICT.full(short)) == \
            enums.VERDICT.number(short)


def test_names_both_ways() -> None:
    assert enums.VERDICT.short(pb.VERDICT_FINE_TUNE) == "FINE_TUNE"
    assert enums.VERDICT.short_or_none(0) is None and enums.VERDICT.short_or_none(99) is None
    assert enums.OUTCOME.number(None) == 0
    assert enums.VERDICT.from_full("VERDICT_UNSPECIFIED") is None
    with pytest.raises(ValueError, match="VERDICT_MAYBE"):
        enums.VERDICT.number("MAYBE")
