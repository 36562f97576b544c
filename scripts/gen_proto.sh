#!/usr/bin/env bash
# Regenerates the Python code of the ftgate.v1 API from proto/ into service/ftgate/v1/, and
# advisor.binpb: the descriptor with its comments (source info), which `ftgate init`,
# `ftgate schema` and the HTTP edge (OpenAPI, console help) read (the generated code keeps no comments).
# Usage: scripts/gen_proto.sh [OUT_DIR]   (OUT_DIR defaults to service; tests use a temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/service}
py=${PYTHON:-python}
# The protoc plugins (mypy-protobuf) live beside the interpreter.
export PATH="$(dirname "$(command -v "$py")"):$PATH"
mkdir -p "$out/ftgate/v1"
"$py" -m grpc_tools.protoc -I"$here/proto" \
  --python_out="$out" --grpc_python_out="$out" --mypy_out="$out" --mypy_grpc_out="$out" \
  --include_source_info --descriptor_set_out="$out/ftgate/v1/advisor.binpb" \
  "$here/proto/ftgate/v1/advisor.proto"
touch "$out/ftgate/v1/__init__.py"
