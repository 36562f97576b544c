"""`ftgate rules replay`: what would a candidate ruleset change on real traffic?

Every decision recorded in the audit store (since --since) is decided again under the rules of
--rules, and the answers are compared: counts by (recorded → candidate) verdict and outcome,
the ids of the decisions that would change, and with --fail-on-change an exit code that fails
a CI job when any would. Run it on a copy of the production store (docs/rules.md).

Exit codes: 0 done (no change, or changes without --fail-on-change); 1 changes with
--fail-on-change, or the store could not be read; 2 bad rules, flags or store.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ftgate.cli.audit_flags import audit_source
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK
from ftgate.cli.flags import directory, positive_int
from ftgate.cli.help import HelpFormatter

EXIT_CHANGED = 1


def add_parser(rsub: Any) -> None:
    x = rsub.add_parser("replay", help="replay recorded decisions under candidate rules",
                        description=__doc__, formatter_class=HelpFormatter)
    x.add_argument("--rules", type=directory, required=True, metavar="DIR",
                   help="the candidate rule directory")
    x.add_argument("--audit-db", type=audit_source, required=True, metavar="PATH|URL",
                   help="the audit store: an SQLite file or a postgresql:// URL")
    x.add_argument("--since", default="30d",
                   help="ISO 8601 time (UTC when no offset) or an age: 12h, 30d")
    x.add_argument("--until", help="same forms as --since; exclusive (default: now)")
    x.add_argument("--fail-on-change", action="store_true",
                   help=f"exit {EXIT_CHANGED} when any verdict or outcome would change")
    x.add_argument("--outcomes", action="store_true",
                   help="also judge the candidate by recorded outcomes: how many projects that "
                        "met their target it would refuse, how many that missed it it would "
                        "allow (docs/outcomes.md)")
    x.add_argument("--output", choices=("text", "json"), default="text", help="report format")
    x.add_argument("--show", type=positive_int, default=50,
                   help="changed decisions listed in the text report")


def run(args: argparse.Namespace) -> int:
    from ftgate.audit.replay import replay
    from ftgate.cli.decisions import BadFlag, parse_time
    from ftgate.engine import Engine
    from ftgate.errors import FtgateError, RuleFileError

    try:
        since = int(parse_time(args.since).timestamp() * 1e6)
        until = int(parse_time(args.until).timestamp() * 1e6) if args.until else None
    except BadFlag as exc:
        print(f"ftgate rules replay: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        policy = Engine(args.rules).policy
    except RuleFileError as exc:
        print(f"ftgate rules replay: invalid rules: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from ftgate.audit.backend import open_store
    from ftgate.audit.database import AuditFileError
    from ftgate.audit.postgres import is_url

    if not is_url(args.audit_db) and not args.audit_db.is_file():
        print(f"ftgate rules replay: --audit-db: no audit log at {args.audit_db}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        store = open_store(args.audit_db, readonly=True)
        try:
            report = replay(policy, store.scan(since, until))
            judged = None
            if args.outcomes:
                from ftgate.audit.outcome_replay import judge

                judged = judge(policy, store.scan(since, until),
                               store.latest_outcomes(since, until))
        finally:
            store.close()
    except AuditFileError as exc:  # not an ftgate store (or a damaged one)
        print(f"ftgate rules replay: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FtgateError as exc:
        print(f"ftgate rules replay: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(_json(report, judged) if args.output == "json"
          else _text(report, args.show) + _outcomes_text(judged), end="")
    return EXIT_CHANGED if args.fail_on_change and report.changed else EXIT_OK


def _name(answer: tuple[str, str | None]) -> str:
    verdict, outcome = answer
    return f"{verdict.removeprefix('VERDICT_')}/{(outcome or '-').removeprefix('OUTCOME_')}"


def _text(report: Any, show: int) -> str:
    lines = [f"replayed {report.replayed} decisions under ruleset {report.candidate_version}: "
             f"{report.changed} would change"]
    if report.waived:
        lines.append(f"{report.waived} decided with the waivers recorded with them (as they "
                     f"stood when decided)")
    if report.unreadable:
        lines.append(f"{len(report.unreadable)} stored inputs refused by the candidate's "
                     f"validation (not replayed)")
    if report.damaged:
        lines.append(f"{len(report.damaged)} damaged records skipped (not replayed): "
                     f"{', '.join(report.damaged[:show])}"
                     + (" ..." if len(report.damaged) > show else ""))
    lines.append("")
    lines.append(f"{'recorded':40} {'candidate':40} {'decisions':>9}")
    for (before, after), n in sorted(report.transitions.items(),
                                     key=lambda kv: (kv[0][0] == kv[0][1], -kv[1])):
        mark = "  " if before == after else "* "
        lines.append(f"{mark}{_name(before):38} {_name(after):40} {n:9d}")
    if report.changes:
        lines.append("")
        lines.append("changed decisions (oldest first):")
        for c in report.changes[:show]:
            lines.append(f"  {c.decision_id}  {_name(c.before)} -> {_name(c.after)}  "
                         f"{c.project_name}")
        if report.changed > show:
            lines.append(f"  ... and {report.changed - show} more (--show N, --output json)")
    return "\n".join(lines) + "\n"


def _outcomes_text(judged: dict[str, Any] | None) -> str:
    if judged is None:
        return ""
    met, missed = judged["met_target"], judged["missed_target"]
    return (f"\nby outcomes ({met['total']} projects met their target, {missed['total']} "
            f"missed it):\n"
            f"  met their target, refused:  recorded {met['refused_recorded']}, "
            f"candidate {met['refused_candidate']}\n"
            f"  missed their target, allowed:  recorded {missed['allowed_recorded']}, "
            f"candidate {missed['allowed_candidate']}\n")


def _json(report: Any, judged: dict[str, Any] | None = None) -> str:
    def answer(a: tuple[str, str | None]) -> dict[str, str | None]:
        return {"verdict": a[0], "outcome": a[1]}

    return json.dumps({
        "candidate_ruleset_version": report.candidate_version,
        "replayed": report.replayed,
        "changed": report.changed,
        "transitions": [{"recorded": answer(b), "candidate": answer(a), "decisions": n}
                        for (b, a), n in report.transitions.items()],
        "changes": [{"decision_id": c.decision_id, "project_name": c.project_name,
                     "recorded": answer(c.before), "candidate": answer(c.after)}
                    for c in report.changes],
        "unreadable": list(report.unreadable),
        "damaged": list(report.damaged),
        "waived": report.waived,
        **({"outcomes": judged} if judged is not None else {}),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2) + "\n"
