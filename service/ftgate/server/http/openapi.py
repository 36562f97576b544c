"""The OpenAPI 3.1 document of the HTTP API, generated from the proto: routes from its
google.api.http annotations, schemas from its messages and enums, descriptions from its comments
(protodoc.py). Nothing in it is written by hand but the error shape and the two probes."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from ftgate.server.http.protodoc import SERVICE, Binding, bindings, comments, path_parameters

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int32", "minimum": 0},
    # proto3 JSON writes 64-bit integers as strings (and reads numbers or strings).
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time",
                                  "description": "RFC 3339, e.g. 2026-01-31T12:00:00Z"},
}
_ERRORS = {400: "Bad request: the body, a parameter or a field (fieldViolations name them)",
           401: "Missing or invalid bearer token (server flag --auth-tokens)",
           404: "No such decision or route", 413: "Body over the server's --max-request-bytes",
           415: "Content-Type is not application/json",
           429: "More calls at once than the server's --max-concurrent",
           503: "The server is shutting down", 504: "The call's deadline passed"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "description": "google.rpc.Status in its JSON mapping: the one error shape of this API.",
    "properties": {"error": {"type": "object", "required": ["code", "status", "message"],
                             "properties": {
        "code": {"type": "integer", "description": "The HTTP status code."},
        "status": {"type": "string", "description": "The gRPC status code name."},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object", "properties": {
            "@type": {"type": "string",
                      "const": "type.googleapis.com/google.rpc.BadRequest"},
            "fieldViolations": {"type": "array", "items": {
                "type": "object", "properties": {
                    "field": {"type": "string", "description": "the field as the body "
                              "writes it, e.g. project.economics.requestsPerDay (camelCase) "
                              "or project.economics.requests_per_day (proto names)"},
                    "description": {"type": "string"},
                    "expected": {"type": "string", "description": "what a valid value is"},
                    "found": {"type": "string", "description": "what the request gave"},
                    "suggestion": {"type": "string",
                                   "description": "what would fix it, e.g. did you mean …"},
                }}}}}}}}},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_name(full_name: str) -> str:
    return full_name.removeprefix("ftgate.v1.")


class _Schemas:
    """Collects the schema of every message and enum reachable from the routes."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.doc = comments()

    def field_schema(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            one = self.message(field.message_type)
        elif field.enum_type is not None:
            one = self.enum(field.enum_type)
        else:
            one = dict(_SCALARS[field.type])
        if field.is_repeated:
            one = {"type": "array", "items": one}
        text = self.doc.get(field.full_name)
        if field.has_presence and field.message_type is None:
            text = (text + " " if text else "") + "(Optional: absent means unknown.)"
        return {**one, "description": text} if text else one

    def message(self, m: Descriptor) -> dict[str, Any]:
        if m.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[m.full_name])
        name = _schema_name(m.full_name)
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder first: messages may nest themselves
            schema: dict[str, Any] = {"type": "object",
                                      "properties": {f.json_name: self.field_schema(f)
                                                     for f in m.fields}}
            if m.full_name in self.doc:
                schema["description"] = self.doc[m.full_name]
            self.schemas[name] = schema
        return _ref(name)

    def enum(self, e: EnumDescriptor) -> dict[str, Any]:
        name = _schema_name(e.full_name)
        if name not in self.schemas:
            lines = [self.doc.get(e.full_name, "")]
            for v in e.values:
                note = self.doc.get(f"{e.full_name.rpartition('.')[0]}.{e.name}.{v.name}")
                if note:
                    lines.append(f"{v.name}: {note}")
            self.schemas[name] = {"type": "string", "enum": [v.name for v in e.values],
                                  "description": "\n".join(t for t in lines if t)}
        return _ref(name)


def _parameters(b: Binding, schemas: _Schemas) -> list[dict[str, Any]]:
    in_path = path_parameters(b.path)
    found = []
    for f in b.method.input_type.fields:
        where = "path" if f.name in in_path else "query"
        found.append({"name": f.name, "in": where, "required": where == "path",
                      "schema": schemas.field_schema(f),
                      "description": schemas.doc.get(f.full_name, f.name)})
    return found


def _operation(b: Binding, schemas: _Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": b.method.name,
        "summary": schemas.doc.get(b.method.full_name, b.method.name).split(". ")[0],
        "description": schemas.doc.get(b.method.full_name, ""),
        "security": [{}, {"bearerAuth": []}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": schemas.message(b.method.output_type)}}}},
    }
    if b.body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": schemas.message(b.method.input_type)}}}
    elif b.body_field:
        body = b.method.input_type.fields_by_name[b.body_field].message_type
        assert body is not None, f"{b.method.name}: body {b.body_field} is not a message"
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": schemas.message(body)}}}
        op["parameters"] = [p for p in _parameters(b, schemas) if p["in"] == "path"]
    else:
        op["parameters"] = _parameters(b, schemas)
    op["parameters"] = [*op.get("parameters", []), {
        "name": "Request-Timeout", "in": "header", "required": False,
        "schema": {"type": "number", "exclusiveMinimum": 0},
        "description": "Seconds the call may take (capped by the server's --default-deadline)."}]
    for code, text in _ERRORS.items():
        if code in (413, 415) and not (b.body or b.body_field):
            continue
        op["responses"][str(code)] = {"description": text, "content": {
            "application/json": {"schema": _ref("Error")}}}
    return op


def _probe(operation_id: str, text: str) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": text, "responses": {
        "200": {"description": "Yes", "content": {"application/json": {"schema": {
            "type": "object"}}}},
        "503": {"description": "No", "content": {"application/json": {
            "schema": _ref("Error")}}}}}}


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once per process)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for b in bindings():
        paths.setdefault(b.path, {})[b.verb.lower()] = _operation(b, schemas)
    paths["/healthz"] = _probe("Healthz", "The process is alive")
    paths["/readyz"] = _probe("Readyz", "Rules are loaded and the server is not draining")
    try:
        package_version = version("ftgate")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        package_version = "0"
    return {
        "openapi": "3.1.0",
        "info": {"title": "ftgate", "version": package_version,
                 "description": comments().get(SERVICE.full_name, "") + " The HTTP/JSON form "
                 "of the gRPC service ftgate.v1.FineTuningAdvisorService: bodies in the proto3 "
                 "JSON mapping (lowerCamelCase or proto field names; enum values by name)."},
        "paths": paths,
        "components": {"schemas": schemas.schemas, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "Needed when the server runs with --auth-tokens."}}},
    }
