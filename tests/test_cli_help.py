"""`--help` of every command, compared with tests/golden/ (defaults and check's exit codes).

After a deliberate change: FTGATE_UPDATE_GOLDEN=1 pytest tests/test_cli_help.py, then review the
diff of tests/golden/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ftgate.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"
COMMANDS = [[], ["serve"], ["check"], ["init"], ["schema"], ["rules"], ["rules", "list"],
            ["rules", "lint"], ["rules", "test"], ["decisions"], ["decisions", "show"],
            ["decisions", "list"], ["outcomes"], ["outcomes", "record"], ["outcomes", "report"],
            ["waivers"], ["waivers", "grant"], ["waivers", "list"], ["waivers", "revoke"],
            ["health"]]


def _help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          command: list[str]) -> str:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal's width
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([*command, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "ftgate" for c in COMMANDS])
def test_help_matches_golden(monkeypatch, capsys, command: list[str]) -> None:
    text = _help(monkeypatch, capsys, command)
    golden = GOLDEN / f"help-{'-'.join(command) or 'ftgate'}.txt"
    if os.environ.get("FTGATE_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"help changed: see {golden}"


def test_check_help_lists_exit_codes_and_defaults(monkeypatch, capsys) -> None:
    text = " ".join(_help(monkeypatch, capsys, ["check"]).split())
    for code in ("0 fine-tuning may go ahead", "1 the check could not run", "2 bad input",
                 "3 do not fine-tune", "4 information is missing"):
        assert code in text
    assert "(default: 10.0)" in text and "(default: enforce)" in text


def test_every_option_with_a_default_shows_it(monkeypatch, capsys) -> None:
    from ftgate.cli.main import parser

    root = parser()
    for command in COMMANDS[1:]:
        sub = root
        for name in command:
            sub = next(a for a in sub._actions if a.dest in ("command", "rules_command",
                                                             "decisions_command",
                                                             "outcomes_command",
                                                             "waivers_command")
                       and name in a.choices).choices[name]
        text = " ".join(_help(monkeypatch, capsys, command).split())
        for action in sub._actions:
            if action.option_strings and action.default not in (None, False) \
                    and action.default != "==SUPPRESS==":
                assert f"(default: {action.default!r}" in text or \
                    f"(default: {action.default}" in text, (command, action.dest)
