"""Routes that refuse text no database column can hold, naming the field, before any handler."""

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

# A NUL or a lone surrogate can sit in a UTF-8 JSON body only as an escape; bodies without one
# (nearly all) cost a byte scan and are never parsed twice.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# The bodies Starlette parses as forms (it reads any other as an empty form).
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


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


def path_faults(request: Request) -> list[FieldError]:
    """Path parameters holding NUL (a lone surrogate cannot arrive in a URL: it decodes to
    U+FFFD)."""
    if "\x00" not in request.scope["path"]:
        return []
    return [
        _error(name, NUL)
        for name, value in request.path_params.items()
        if isinstance(value, str) and "\x00" in value
    ] or [_error("path", NUL)]


def query_faults(request: Request) -> list[FieldError]:
    """Query parameters holding NUL (as in a path, a lone surrogate cannot arrive)."""
    if b"%00" not in request.scope["query_string"]:
        return []
    return [
        _error(name, NUL) for name, value in request.query_params.multi_items() if "\x00" in value
    ]


async def form_faults(request: Request) -> list[FieldError]:
    """Names and text values of a posted form that no column could hold (an uploaded file's
    name is the evidence service's to clean). FastAPI reads the same parsed form afterwards."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or content_type not in _FORM_TYPES:
        return []
    errors = []
    for name, value in (await request.form()).multi_items():
        fault = text_fault(name) or (text_fault(value) if isinstance(value, str) else None)
        if fault is not None:
            errors.append(_error(name, fault))
    return errors


async def _json_faults(request: Request) -> list[FieldError]:
    if request.method not in {"POST", "PUT", "PATCH"} or not _is_json(request):
        return []
    body = await request.body()  # kept by the request: FastAPI reads the same bytes
    if not _SUSPECT_ESCAPE.search(body):
        return []
    try:
        parsed = json.loads(body)
    except ValueError:
        return []  # FastAPI reports the syntax error with its position
    return list(_walk(parsed, ""))


async def _unstorable_text(request: Request) -> list[FieldError]:
    errors = path_faults(request) + query_faults(request)
    if _is_json(request):
        return errors + await _json_faults(request)
    return errors + await form_faults(request)


class CheckedRoute(APIRoute):
    """An API route whose path, query and JSON or form body never carry NUL or lone
    surrogates (pages check the same through pages_base.PageRoute)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            errors = await _unstorable_text(request)
            if errors:
                raise InvalidInput(errors)
            return await handler(request)

        return checked
