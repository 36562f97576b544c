"""Attacks on the data side of a live `ftgate serve`: garbage to health and reflection, hostile
ListDecisions filters and page tokens, huge stored records, broken or deleted audit files."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from ftgate.audit import DecisionQuery, DecisionStore, StoredDecision
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hostile_data_tools import metric, scrape, wait_until
from serverproc import FTGATE, REPO, ServerProcess, free_port, start_server

DEFAULT_CLIENT_LIMIT = 4 * 1024 * 1024
HUGE_ROWS = 6  # stored decisions whose input carries ~1.5 MB of unknown field
HUGEST = 4_300_000  # one more, over a default client's 4 MiB limit by itself


def _unknown_field(size: int) -> bytes:
    """Field 1000, length-delimited, of `size` bytes: unknown to ProjectProfile."""
    key, length, out = (1000 << 3) | 2, size, bytearray()
    for value in (key, length):
        while value > 0x7F:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out) + b"x" * size


def _row(name: str, padding: int, at_us: int) -> StoredDecision:
    decision_id = str(uuid.uuid4())
    project = pb.ProjectProfile(name=name).SerializeToString() + _unknown_field(padding)
    assessment = pb.Assessment(decision_id=decision_id, project_name=name,
                               verdict=pb.VERDICT_NEEDS_INFORMATION)
    return StoredDecision(decision_id, at_us, "sha256:test", name, "VERDICT_NEEDS_INFORMATION",
                          None, "[]", json.dumps({"name": name}), project,
                          assessment.SerializeToString())


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An audit log holding huge decisions (as a server that kept unknown fields stored them)
    and small ones; returns its path and the id of the hugest."""
    db = tmp_path_factory.mktemp("audit") / "decisions.db"
    store = DecisionStore(db)
    now = int(time.time() * 1_000_000)
    rows = [_row(f"small{i}", 0, now - 1000 - i) for i in range(30)]
    rows += [_row(f"huge{i}", 1_500_000, now - 100 - i) for i in range(HUGE_ROWS)]
    hugest = _row("hugest", HUGEST, now - 10)
    store.insert([*rows, hugest])
    store.close()
    return db, hugest.decision_id


@pytest.fixture(scope="module")
def server(seeded_db: tuple[Path, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("server"), "--workers", "1",
                        "--audit-db", str(seeded_db[0]))
    yield proc
    proc.stop()


@pytest.fixture
def stub(server: ServerProcess) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.insecure_channel(server.address) as channel:  # a default client: 4 MiB answers
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


def _violations(exc: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(exc)
    assert status is not None, exc
    out = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out.update({v.field: v.description for v in bad.field_violations})
    return out


def _invalid(call: object) -> dict[str, str]:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    return _violations(info.value)


# Item 2: garbage to the health and reflection services.

@pytest.mark.parametrize("garbage", [b"\xff", b"\x0a\xff\xff", b"\x12\x05ab"])
def test_garbage_to_health_check_and_watch_is_invalid_argument(server: ServerProcess,
                                                               garbage: bytes) -> None:
    with grpc.insecure_channel(server.address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        assert "request" in _invalid(lambda: check(garbage, timeout=10))
        watch = channel.unary_stream("/grpc.health.v1.Health/Watch")
        assert "request" in _invalid(lambda: list(watch(garbage, timeout=10)))


def test_garbage_on_the_reflection_stream_is_invalid_argument(server: ServerProcess) -> None:
    from grpc_reflection.v1alpha import reflection_pb2

    good = reflection_pb2.ServerReflectionRequest(list_services="").SerializeToString()
    with grpc.insecure_channel(server.address) as channel:
        info = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        assert "request" in _invalid(lambda: list(info(iter([b"\xff"]), timeout=10)))
        # A valid first message is answered, the bad second one ends the stream.
        replies = info(iter([good, b"\xff\xff"]), timeout=10)
        assert next(replies)
        assert "request" in _invalid(lambda: list(replies))
        assert len(list(info(iter([good]), timeout=10))) == 1  # still serving


@pytest.mark.slow
def test_garbage_on_an_open_reflection_stream_does_not_stop_sigterm(tmp_path: Path) -> None:
    """Once, gRPC's own failure to decode a message of a request stream left the call half
    done, and SIGTERM then waited for it forever (about 6 times in 10): decoded in the call,
    the stream ends INVALID_ARGUMENT like any other bad input, and the server stops."""
    for _ in range(5):
        server = start_server(tmp_path, "--workers", "1", "--grace", "2")
        release = threading.Event()

        def requests(release: threading.Event = release) -> Iterator[bytes]:
            yield b"\xff"
            release.wait(60)  # the client keeps its side of the stream open

        try:
            with grpc.insecure_channel(server.address) as channel:
                call = channel.stream_stream(
                    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")(
                    requests(), timeout=60)
                wait_until(call.done, what="the stream answered")  # type: ignore[attr-defined]
                server.proc.send_signal(signal.SIGTERM)
                assert server.proc.wait(60) == 0
                assert call.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        finally:
            release.set()
            server.stop(signal.SIGKILL)


# Item 3: ListDecisions filters and page tokens.

@pytest.mark.parametrize(("field", "stamp"), [
    ("since.seconds", Timestamp(seconds=253_402_300_800)),
    ("since.seconds", Timestamp(seconds=-62_135_596_801)),
    ("since.seconds", Timestamp(seconds=2**62)),
    ("since.nanos", Timestamp(seconds=0, nanos=1_000_000_000)),
    ("since.nanos", Timestamp(seconds=0, nanos=-1)),
])
def test_out_of_range_timestamps_are_invalid_argument(stub: pb_grpc.FineTuningAdvisorServiceStub,
                                                      field: str, stamp: Timestamp) -> None:
    assert field in _invalid(lambda: stub.ListDecisions(
        pb.ListDecisionsRequest(since=stamp), timeout=10))
    other = field.replace("since", "until")
    assert other in _invalid(lambda: stub.ListDecisions(
        pb.ListDecisionsRequest(until=stamp), timeout=10))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("token", [
    _b64(json.dumps([2**70, "f" * 36, [None, None, None]]).encode()),  # once an OverflowError
    _b64(json.dumps([-(2**70), "f" * 36, [None, None, None]]).encode()),
    _b64(b"[" * 100_000),  # once a RecursionError
    _b64(b"[" * 2_000),
    "[" * 100_000,
    _b64(b"\x01" + b"\x00" * 60),
    "not a token!",
    "A" * 5000,
    "",
], ids=lambda t: t[:12] or "empty")
def test_crafted_page_tokens_are_invalid_argument(stub: pb_grpc.FineTuningAdvisorServiceStub,
                                                  token: str) -> None:
    request = pb.ListDecisionsRequest(page_size=5, page_token=token)
    if not token:  # the empty token is the first page
        page = stub.ListDecisions(request, timeout=10)
        assert page.decisions and page.next_page_token
        return
    assert "page_token" in _invalid(lambda: stub.ListDecisions(request, timeout=10))


def test_page_tokens_are_tamper_evident_and_bound_to_filters(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    first = stub.ListDecisions(pb.ListDecisionsRequest(page_size=3), timeout=10)
    token = first.next_page_token
    assert token and len(token) < 200
    for i in range(len(token)):  # every single-character change is refused
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert "page_token" in _invalid(lambda t=flipped: stub.ListDecisions(  # type: ignore[misc]
            pb.ListDecisionsRequest(page_size=3, page_token=t), timeout=10))
    other_filters = pb.ListDecisionsRequest(page_size=3, page_token=token,
                                            verdict=pb.VERDICT_FINE_TUNE)
    assert "filters" in _invalid(lambda: stub.ListDecisions(other_filters, timeout=10))[
        "page_token"]
    second = stub.ListDecisions(pb.ListDecisionsRequest(page_size=3, page_token=token), timeout=10)
    assert {d.decision_id for d in second.decisions}.isdisjoint(
        d.decision_id for d in first.decisions)


def test_a_page_token_works_on_another_server_of_the_same_audit_log(
        server: ServerProcess, seeded_db: tuple[Path, str], tmp_path: Path,
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    first = stub.ListDecisions(pb.ListDecisionsRequest(page_size=2), timeout=10)
    token = first.next_page_token
    other = start_server(tmp_path, "--workers", "1", "--audit-db", str(seeded_db[0]))
    try:
        with grpc.insecure_channel(other.address) as channel:
            page = pb_grpc.FineTuningAdvisorServiceStub(channel).ListDecisions(
                pb.ListDecisionsRequest(page_size=2, page_token=token), timeout=10)
        assert page.decisions  # the next page, not INVALID_ARGUMENT
        assert {d.decision_id for d in page.decisions}.isdisjoint(
            d.decision_id for d in first.decisions)
    finally:
        assert other.stop() == 0


# Item 4: what one read may hold.

def test_list_decisions_pages_fit_a_default_client(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    seen: list[str] = []
    request = pb.ListDecisionsRequest(page_size=500)
    for _ in range(100):  # bounded: a few pages are expected
        page = stub.ListDecisions(request, timeout=30)
        assert page.ByteSize() < DEFAULT_CLIENT_LIMIT
        seen += [d.decision_id for d in page.decisions]
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert len(seen) == len(set(seen)) == 30 + HUGE_ROWS + 1


def test_get_decision_of_a_huge_stored_record_fits_a_default_client(
        stub: pb_grpc.FineTuningAdvisorServiceStub, seeded_db: tuple[Path, str]) -> None:
    record = stub.GetDecision(pb.GetDecisionRequest(decision_id=seeded_db[1]),
                              timeout=30).decision
    assert record.project.name == "hugest"
    assert record.ByteSize() < 10_000  # the unknown field is not sent
    assert record.project.SerializeToString() == pb.ProjectProfile(
        name="hugest").SerializeToString()


# Item 9: audit files that cannot be used, at start and while serving.

def _serve_exit(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `ftgate serve` that is expected to stop at once."""
    return subprocess.run(
        [*FTGATE, "serve", "--listen", f"127.0.0.1:{free_port()}", "--metrics-listen", "",
         *args], capture_output=True, text=True, timeout=120, cwd=REPO)


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _truncated(path: Path) -> None:
    _filled(path)
    path.write_bytes(path.read_bytes()[:1500])


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")


def _foreign_decisions(path: Path) -> None:  # our table's name, another program's columns
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY, what TEXT)")


def _filled(path: Path) -> None:
    store = DecisionStore(path)
    now = int(time.time() * 1_000_000)
    store.insert([_row(f"r{i}", 3000, now - i) for i in range(300)])
    store.close()
    with sqlite3.connect(path) as conn:  # everything in the main file, nothing in the WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")


def _middle_pages_damaged(path: Path) -> None:
    _filled(path)
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    data = bytearray(path.read_bytes())
    for page in (pages // 3, pages // 2):  # b-tree pages in the middle: the header is intact
        start = page * page_size
        data[start:start + page_size] = os.urandom(page_size)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _foreign, _foreign_decisions,
                                    _middle_pages_damaged])
def test_a_damaged_audit_log_stops_the_start_naming_the_file(tmp_path: Path, damage: object,
                                                             ) -> None:
    db = tmp_path / "decisions.db"
    damage(db)  # type: ignore[operator]
    before = db.read_bytes()
    result = _serve_exit("--workers", "1", "--audit-db", str(db))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(db) in lines[0], result.stderr
    assert "--audit-db" in lines[0] or "recover" in lines[0]
    assert db.read_bytes() == before  # never written into


@pytest.mark.parametrize("where", ["a directory", "under a file"])
def test_an_unusable_audit_path_stops_the_start_naming_it(tmp_path: Path, where: str) -> None:
    if where == "a directory":
        db = tmp_path / "decisions.db"
        db.mkdir()
    else:
        (tmp_path / "plain").write_text("a file, not a directory")
        db = tmp_path / "plain" / "decisions.db"
    for workers in ("1", "2"):  # with workers too: reported once, before any starts
        result = _serve_exit("--workers", workers, "--audit-db", str(db))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(db) in lines[0], result.stderr


def test_deleting_the_audit_log_while_serving_is_alerted(tmp_path: Path) -> None:
    db = tmp_path / "audit" / "decisions.db"
    server = start_server(tmp_path, "--workers", "1", "--audit-db", str(db))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(name="before")),
                          timeout=10)
            wait_until(lambda: metric(scrape(server.metrics_url),
                                      "ftgate_audit_written_total") == 1, what="first write")
            assert metric(scrape(server.metrics_url), "ftgate_audit_file_missing") == 0
            db.unlink()
            stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(name="after")),
                          timeout=10)
            wait_until(lambda: metric(scrape(server.metrics_url),
                                      "ftgate_audit_file_missing") == 1, what="the alert")
        assert '"event": "audit_file_missing"' in server.log()
        line = next(json.loads(x) for x in server.log().splitlines()
                    if '"audit_file_missing"' in x)
        assert line["level"] == "error" and line["path"] == str(db)
    finally:
        assert server.stop() == 0
    # At exit, what went into the deleted file is copied beside it: no decision is lost.
    rescued = list(db.parent.glob("decisions.db.rescued-*"))
    assert len(rescued) == 1, server.log()
    names = {r.project_name for r in DecisionStore(rescued[0], readonly=True).list(
        DecisionQuery(), 10)[0]}
    assert names == {"before", "after"}
