"""Checks a real answer against what /openapi.json documents for it (jsonschema is not a
dependency: the subset of JSON Schema kefu's models produce, each keyword enforced)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

# Keywords that only annotate; any other keyword in a schema must be one `check` enforces.
_ANNOTATIONS = {"title", "description", "default", "examples"}
_ENFORCED = {
    "$ref",
    "type",
    "properties",
    "required",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "additionalProperties",
    "anyOf",
    "allOf",
    "format",
    "enum",
    "const",
}
_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its $ref followed (its sibling keywords are checked by `check`)."""
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _format(kind: str, value: str, at: str) -> None:
    try:
        if kind == "date-time":
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            assert parsed.tzinfo is not None, f"{at}: {value!r} has no offset"
        elif kind == "date":
            date.fromisoformat(value)
        else:
            assert kind == "binary", f"{at}: unchecked format {kind}"
    except ValueError:
        raise AssertionError(f"{at}: {value!r} is no {kind}") from None


def check(
    spec: dict[str, Any], schema: dict[str, Any], value: Any, at: str, *, closed: bool = False
) -> None:
    """Assert `value` fits `schema`. `closed`: an object may hold only the keys its schema
    names (unless it says otherwise), so nothing is sent that an integrator would meet
    undocumented."""
    schema = resolve(spec, schema)
    unknown = set(schema) - _ANNOTATIONS - _ENFORCED
    assert not unknown, f"{at}: unchecked keywords {unknown}"
    if "anyOf" in schema:
        misfits = []
        for option in schema["anyOf"]:
            try:
                check(spec, option, value, at, closed=closed)
            except AssertionError as why:
                misfits.append(str(why))
        assert len(misfits) < len(schema["anyOf"]), f"{at}: fits no anyOf option: {misfits}"
    for part in schema.get("allOf", []):
        check(spec, part, value, at, closed=closed)
    if "type" in schema:
        assert isinstance(value, _TYPES[schema["type"]]), f"{at}: {value!r} is not {schema['type']}"
        # Python's bool is an int; JSON's true is no number.
        numeric = schema["type"] in ("integer", "number")
        assert not (numeric and isinstance(value, bool)), f"{at}: {value!r} is not a number"
    if "enum" in schema:
        assert value in schema["enum"], f"{at}: {value!r} not in {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"], f"{at}: {value!r} is not {schema['const']!r}"
    if "format" in schema and isinstance(value, str):
        _format(schema["format"], value, at)
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{at}: {name} is required"
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                check(spec, properties[name], item, f"{at}.{name}", closed=closed)
                continue
            # A schema of options (anyOf) leaves the keys to them.
            is_object = "properties" in schema or schema.get("type") == "object"
            extra = schema.get("additionalProperties", not (closed and is_object))
            assert extra is not False, f"{at}: {name} is not documented"
            if isinstance(extra, dict):
                check(spec, extra, item, f"{at}.{name}", closed=closed)
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0), f"{at}: too few items"
        assert len(value) <= schema.get("maxItems", len(value)), f"{at}: too many items"
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            item_schema = prefix[index] if index < len(prefix) else schema.get("items")
            if item_schema is not None:
                check(spec, item_schema, item, f"{at}[{index}]", closed=closed)


def documented(spec: dict[str, Any], method: str, path: str, r: Any) -> dict[str, Any]:
    """The schema /openapi.json gives for this answer: its status and its content type."""
    responses = spec["paths"][path][method]["responses"]
    assert str(r.status_code) in responses, (method, path, r.status_code, r.text)
    content = responses[str(r.status_code)].get("content") or {}
    media = r.headers["content-type"].split(";")[0].strip()
    assert media in content, (method, path, media, list(content))
    schema: dict[str, Any] = content[media]["schema"]
    return schema


def fits(
    spec: dict[str, Any],
    method: str,
    path: str,
    r: Any,
    model: type[BaseModel],
    status: int = 200,
) -> Any:
    """Assert a real JSON answer is what the document says, to the key, and that the model it
    names (`model`) reads it strictly; the answer's body."""
    assert r.status_code == status, r.text
    schema = documented(spec, method, path, r)
    assert schema.get("$ref") == f"#/components/schemas/{model.__name__}", schema
    body = r.json()
    check(spec, schema, body, "body", closed=True)
    model.model_validate_json(r.content, strict=True)
    return body
