"""API routes that refuse text no database column can hold, naming the field, before any handler."""

from __future__ import annotations

import email.message
import json
import re
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.text_faults import NUL, fault_error, text_fault

# The only way either can sit in a UTF-8 JSON body is as an escape; bodies without one (nearly
# all) cost a byte scan and are never parsed twice.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _error(path: str, fault: tuple[str, str, str]) -> FieldError:
    return fault_error(path or "body", fault)


def _walk(value: Any, path: str) -> Iterator[FieldError]:
    """Every string (key or value) of a parsed JSON document that no column could hold."""
    if isinstance(value, str):
        fault = text_fault(value)
        if fault is not None:
            yield _error(path, fault)
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            fault = text_fault(key)
            if fault is not None:
                yield _error(child, fault)
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))


def _is_json(request: Request) -> bool:
    # The same test FastAPI uses to decide whether it parses the body as JSON.
    content_type = request.headers.get("content-type")
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def _unstorable_text(request: Request) -> list[FieldError]:
    errors: list[FieldError] = []
    if "\x00" in request.scope["path"]:
        errors += [
            _error(name, NUL)
            for name, value in request.path_params.items()
            if isinstance(value, str) and "\x00" in value
        ] or [_error("path", NUL)]
    if b"%00" in request.scope["query_string"]:
        errors += [
            _error(name, NUL)
            for name, value in request.query_params.multi_items()
            if "\x00" in value
        ]
    if request.method in {"POST", "PUT", "PATCH"} and _is_json(request):
        body = await request.body()  # kept by the request: FastAPI reads the same bytes
        if _SUSPECT_ESCAPE.search(body):
            try:
                parsed = json.loads(body)
            except ValueError:
                return errors  # FastAPI reports the syntax error with its position
            errors += _walk(parsed, "")
    return errors


class CheckedRoute(APIRoute):
    """An API route whose path, query and JSON body never carry NUL or lone surrogates."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            errors = await _unstorable_text(request)
            if errors:
                raise InvalidInput(errors)
            return await handler(request)

        return checked
