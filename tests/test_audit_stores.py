"""Audit stores are chosen by URL scheme in one registry (audit/stores.py), and every command
asks it: a new backend registered there is opened, checked and named by all of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from ftgate.audit import stores
from ftgate.audit.store import DecisionStore

CLI = Path(__file__).resolve().parent.parent / "service" / "ftgate" / "cli"


def test_a_path_is_sqlite_and_a_url_postgresql(tmp_path: Path) -> None:
    assert stores.kind_of(tmp_path / "a.db").name == "sqlite"
    assert stores.kind_of("postgresql://u@h:5432/d").name == "postgresql"
    assert stores.kind_of("postgres://u@h/d").name == "postgresql"
    assert stores.describe("postgresql://u:secret@h:5432/d").count("secret") == 0


def test_targets_no_backend_reads_are_named() -> None:
    with pytest.raises(stores.BadTarget, match="expected an SQLite file path or a "
                                                "postgresql:// URL, got a mysql:// URL"):
        stores.parse("mysql://h/d")
    with pytest.raises(stores.BadTarget, match="not a usable PostgreSQL URL"):
        stores.parse("postgresql://h/d?bad option")
    with pytest.raises(stores.BadTarget, match="expected"):
        stores.parse("")


def test_sqlite_is_opened_checked_and_found(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert not stores.exists(db)
    stores.check_store(db)  # creates it
    assert stores.exists(db)
    store = stores.open_store(db, readonly=True)
    try:
        assert store.count() == 0
    finally:
        store.close()


def test_a_new_backend_is_one_registration(tmp_path: Path) -> None:
    opened: list[str] = []

    def open_copy(target: stores.Target, readonly: bool) -> DecisionStore:
        opened.append(str(target))
        return DecisionStore(tmp_path / "copy.db", readonly=readonly)

    kind = stores.StoreKind("copy", ("copy://",), parse=str, open=open_copy,
                            check=lambda target, migrate: None, exists=lambda target: True,
                            describe=lambda target: "copy store")
    stores.register(kind)
    try:
        assert stores.parse("copy://x") == "copy://x"
        assert stores.describe("copy://x") == "copy store"
        stores.open_store("copy://x").close()
        assert opened == ["copy://x"]
    finally:
        stores._KINDS.remove(kind)


def test_no_cli_command_knows_a_backend() -> None:
    # The CLI asks the registry: it imports no backend module.
    backends = {"ftgate.audit.postgres", "ftgate.audit.pg_schema", "psycopg"}
    for path in CLI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not backends & set(names), f"{path.name} imports {backends & set(names)}"
