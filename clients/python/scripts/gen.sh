#!/usr/bin/env bash
# Regenerates ftgate_client/_gen (messages, gRPC stubs and mypy-protobuf .pyi) from the repo's proto/.
# Usage: scripts/gen.sh [OUT_DIR]   OUT_DIR defaults to src/ftgate_client/_gen; the staleness test
# passes a temp dir and compares. PYTHON picks the interpreter (default: clients/python/.venv).
#
# The proto is compiled under its own path, ftgate/v1/advisor.proto, exactly as the server does, so
# both packages register byte-identical descriptors and can be imported in one process. Only the
# Python import lines are rewritten (ftgate.v1 -> ftgate_client._gen.ftgate.v1); the serialized
# descriptor is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
proto=${FTGATE_PROTO_DIR:-$repo/proto}
out=${1:-$here/src/ftgate_client/_gen}
py=${PYTHON:-$here/.venv/bin/python}
bindir=$(dirname "$py")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# protoc-gen-mypy and protoc-gen-mypy_grpc are scripts beside the interpreter.
PATH="$bindir:$PATH" "$py" -m grpc_tools.protoc -I"$proto" \
  --python_out="$tmp" --grpc_python_out="$tmp" --mypy_out="$tmp" --mypy_grpc_out="$tmp" \
  "$proto/ftgate/v1/advisor.proto"

"$py" - "$tmp/ftgate/v1" <<'PY'
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
for path in sorted(root.glob("*.py*")):
    text = path.read_text()
    text = re.sub(r"^from ftgate\.v1 import", "from ftgate_client._gen.ftgate.v1 import", text, flags=re.M)
    text = re.sub(r"^import ftgate\.v1\.", "import ftgate_client._gen.ftgate.v1.", text, flags=re.M)
    text = re.sub(r"\bftgate\.v1\.advisor_pb2(_grpc)?\b(?=[.\s,)\]:]|$)",
                  lambda m: "ftgate_client._gen." + m.group(0), text, flags=re.M) \
        if path.suffix == ".pyi" else text
    text = text.replace("BuildTopDescriptorsAndMessages(DESCRIPTOR, 'ftgate.v1.advisor_pb2',",
                        "BuildTopDescriptorsAndMessages(DESCRIPTOR, 'ftgate_client._gen.ftgate.v1.advisor_pb2',")
    path.write_text(text)
PY

mkdir -p "$out/ftgate/v1"
for pkg in "$out" "$out/ftgate" "$out/ftgate/v1"; do
  printf '"""Generated from proto/ by clients/python/scripts/gen.sh. Do not edit."""\n' > "$pkg/__init__.py"
done
cp "$tmp"/ftgate/v1/advisor_pb2.py "$tmp"/ftgate/v1/advisor_pb2.pyi \
   "$tmp"/ftgate/v1/advisor_pb2_grpc.py "$tmp"/ftgate/v1/advisor_pb2_grpc.pyi "$out/ftgate/v1/"
