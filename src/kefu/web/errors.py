"""Errors as application/problem+json: a stable code, the fields at fault, zh-CN and en text."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kefu.db.write_gate import GroupCommitFailed
from kefu.domain.errors import DomainError, FieldError
from kefu.domain.types import INSTANT_RANGE_EN, INSTANT_RANGE_ZH
from kefu.web.auth import current_actor
from kefu.web.routing import CheckedRoute
from kefu.web.schemas import Problem

PROBLEM = "application/problem+json"

_BAD_TIME = (
    "时间格式无效，应为 ISO 8601，如 2026-11-24T10:00:00+08:00",
    "invalid time; use ISO 8601 such as 2026-11-24T10:00:00+08:00",
)
_BAD_DATE = (
    "日期格式无效，应为 YYYY-MM-DD，如 2026-11-24",
    "invalid date; use YYYY-MM-DD such as 2026-11-24",
)
# Pydantic error types -> (zh, en) so a shape error reads like any other rejection.
_PYDANTIC_ZH = {
    "missing": ("必填", "is required"),
    "string_too_long": ("过长", "is too long"),
    "string_too_short": ("过短", "is too short"),
    "too_short": ("数量太少", "has too few items"),
    "too_long": ("数量太多", "has too many items"),
    "int_parsing": ("必须是整数", "must be an integer"),
    # Also a JSON bool or text where a body takes a number (schemas.JsonInt).
    "int_type": (
        "必须是整数（JSON 数字，不能是 true/false 或文本）",
        "must be an integer (a JSON number, not true/false or text)",
    ),
    "enum": ("取值无效", "is not one of the allowed values"),
    "extra_forbidden": ("不允许的字段", "is not an accepted field"),
    "greater_than_equal": ("数值太小", "is too small"),
    "less_than_equal": ("数值太大", "is too large"),
    "bool_parsing": ("必须是 true 或 false", "must be true or false"),
    # A JSON body's true/false given as a number or text (schemas.JsonBool).
    "bool_type": (
        "必须是 true 或 false（JSON 布尔值，不能是数字或文本）",
        "must be true or false (a JSON boolean, not a number or text)",
    ),
    "string_pattern_mismatch": ("格式无效", "has an invalid format"),
    "json_invalid": ("JSON 格式错误", "is not valid JSON"),
    "model_attributes_type": ("必须是 JSON 对象", "must be a JSON object"),
    "dict_type": ("必须是 JSON 对象", "must be a JSON object"),
    "list_type": ("必须是数组", "must be a list"),
    "string_type": ("必须是文本", "must be text"),
    "instant_out_of_range": (INSTANT_RANGE_ZH, INSTANT_RANGE_EN),
    # Python's JSON reader takes NaN, Infinity and 1e400 (read as infinity) as numbers.
    "finite_number": (
        "必须是有限的数字（不能是 NaN 或 Infinity）",
        "must be a finite number (not NaN or Infinity)",
    ),
    "int_from_float": ("必须是整数，不能有小数", "must be a whole number, no fraction"),
    "datetime_type": _BAD_TIME,
    "datetime_parsing": _BAD_TIME,
    "datetime_from_date_parsing": _BAD_TIME,
    "date_type": _BAD_DATE,
    "date_parsing": _BAD_DATE,
    "date_from_datetime_parsing": _BAD_DATE,
    "date_from_datetime_inexact": _BAD_DATE,
}
# FastAPI checks an UploadFile parameter with a plain ValueError: its text is all there is.
_NOT_A_FILE = "Expected UploadFile"


def known_message(err: Mapping[str, Any]) -> tuple[str, str] | None:
    """(zh, en) for a pydantic error kefu has words for, else None."""
    kind = str(err.get("type", ""))
    if kind == "enum":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"取值无效，可选：{allowed}", f"must be one of {allowed}"
    if kind == "value_error" and _NOT_A_FILE in str(err.get("msg", "")):
        return "必须是上传的文件，不能是文本", "must be an uploaded file, not text"
    return _PYDANTIC_ZH.get(kind)


def problem(
    status: int,
    code: str,
    zh: str,
    en: str,
    fields: list[dict[str, str]] | None = None,
    **extra: Any,
) -> JSONResponse:
    # schemas.Problem documents this shape (and each `extra`) in /openapi.json; a new key here
    # belongs there too, tests/web/test_api_openapi.py fails until it is.
    body = {
        "type": f"/problems/{code}",
        "title": en,
        "status": status,
        "code": code,
        "detail": en,
        "message_zh": zh,
        "message_en": en,
        "fields": fields or [],
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def unparsable_body(exc: StarletteHTTPException) -> FieldError:
    """A 400 from the framework, which raises one only when it cannot parse the body: JSON
    that is not UTF-8 or nested too deep, a multipart body without its boundary or cut short."""
    return FieldError(
        "body",
        "unparsable",
        "请求体无法解析：JSON 须为 UTF-8 编码且嵌套不能过深，上传须为完整的 multipart 表单",
        f"the request body cannot be parsed ({exc.detail})",
    )


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(
        exc.status, exc.code, exc.zh, exc.en, [f.as_dict() for f in exc.fields], **exc.extra
    )


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(loc) or "body"
        zh, en = known_message(err) or ("取值无效", str(err.get("msg", "invalid")))
        if err.get("type") == "json_invalid":
            # FastAPI puts the character offset where a field name goes: the body is at fault.
            name = "body"
            at = loc[0] if loc else "?"
            why = err.get("ctx", {}).get("error", "")
            zh = f"JSON 格式错误（第 {at} 个字符处）"
            en = f"is not valid JSON ({why} at character {at})"
        fields.append(
            {
                "field": name,
                "code": str(err.get("type", "invalid")),
                "message_zh": zh,
                "message_en": en,
            }
        )
    zh = "；".join(f"{f['field']}：{f['message_zh']}" for f in fields)
    en = "; ".join(f"{f['field']}: {f['message_en']}" for f in fields)
    return problem(422, "invalid_input", zh, en, fields)


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        field = unparsable_body(exc)
        return problem(400, "unparsable_body", field.zh, field.en, [field.as_dict()])
    texts = {
        404: ("页面或资源不存在", "not found"),
        405: ("不支持该请求方法", "method not allowed"),
    }
    zh, en = texts.get(exc.status_code, ("请求失败", str(exc.detail)))
    return problem(exc.status_code, f"http_{exc.status_code}", zh, en)


log = structlog.get_logger("kefu.http")


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """What nobody handled: still a problem document (an HTML page for the pages), with the
    request id to quote. A group COMMIT that failed saved nothing, so it is a 503 to retry."""
    request_id = str(getattr(request.state, "request_id", ""))
    if isinstance(exc, GroupCommitFailed):
        status, code = 503, "not_saved"
        zh, en = "保存失败，本次请求的内容均未保存，请重试", "nothing was saved; please retry"
    else:
        status, code = 500, "internal_error"
        zh, en = "服务器内部错误，请稍后重试", "internal server error; please retry later"
        log.error("unhandled_error", request_id=request_id, error=repr(exc))
    zh_id = f"（请求编号 {request_id}）" if request_id else ""
    en_id = f" (request id {request_id})" if request_id else ""
    headers = {"Retry-After": "1"} if status == 503 else None
    if not request.url.path.startswith("/api/"):
        # The request id may come from the client's X-Request-ID header: escaped.
        page = (
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{status}</title>'
            f"<h1>{html.escape(zh + zh_id)}</h1><p>{html.escape(en + en_id)}</p></html>"
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    response = problem(status, code, zh + zh_id, en + en_id)
    if headers:
        response.headers.update(headers)
    return response


# --- The same errors, declared in the OpenAPI document -------------------------------------

PROBLEM_REF = "#/components/schemas/Problem"
Responses = dict[int | str, dict[str, Any]]


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response: `description`, with a Problem body as application/problem+json."""
    return {"description": description, "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}}


_BAD_BODY = (
    "`unparsable_body`: the body cannot be parsed at all (JSON that is not UTF-8 or is nested "
    "too deep, a multipart form cut short or without its boundary)."
)
_NO_LOGIN = "`not_authenticated`: no bearer token or session, or one that is not valid (any more)."
_DENIED = "`permission_denied`: your role may not do this here."
_NOT_FOUND = (
    "`not_found`: the case, order, chat or other record named in the path or body does not "
    "exist, or is not yours to see (both answer alike, so numbers cannot be probed); `what` "
    "and `key` name it."
)
_INVALID = (
    "Refused input, every field at fault in `fields` with a stable code: `invalid_input` for "
    "shape and value errors (a missing or unknown field, text too long, a number past its "
    "range, a bad cursor, NUL in any text, even a query parameter the operation does not "
    "take …); other codes name a rule, e.g. `guard_failed` (an action's reason missing, its "
    "window passed) or `idempotency_key_reused`."
)
_SUPERSET = " (Declared on every operation that needs a login: a superset, some never answer it.)"
_CONFLICTS = {
    "version_conflict": (
        "`version_conflict`: the `version` you sent is stale; `expected_version` and "
        "`current_version` give both: reload and retry."
    ),
    "invalid_transition": (
        "`invalid_transition`: the action cannot be taken in the case's status; "
        "`current_status`, `action` and `allowed_actions` say what can."
    ),
    "policy_not_draft": (
        "`policy_not_draft`: that policy version is already published; `policy_id`, `version` "
        "and `current_status` name it."
    ),
    "no_matching_clock": (
        "`no_matching_clock`: no clock in the state this needs (none running, none paused, "
        "not suspended awaiting proof); `clock_*` codes: the clock's own state refuses it."
    ),
    "not_given_up": (
        "`not_given_up`: the mail is not a given-up one (taken in or sent already, still "
        "retried by itself, or someone else was first)."
    ),
    "raw_missing": "`raw_missing`: the mail's raw bytes are no longer stored.",
    "key_changed": (
        "`key_changed`: the mail's Message-ID now parses differently; the intake would record "
        "it under another key."
    ),
    "address_unusable": (
        "`address_unusable`: the address the mail would go to now can hold no mail; it "
        "changes once the buyer writes from another address."
    ),
    "not_resendable": "`not_resendable`: what sent the mail is no longer kept.",
}


def conflict(*codes: str) -> Responses:
    """`responses=` for an operation that can answer 409, with the codes it can answer."""
    return {409: problem_response(" ".join(_CONFLICTS[c] for c in codes))}


def _needs_login(dependant: Dependant) -> bool:
    return any(d.call is current_actor or _needs_login(d) for d in dependant.dependencies)


def declared_errors(route: APIRoute) -> Iterator[tuple[int, str]]:
    """The errors an API operation of this kind can answer (409 is the route's to declare:
    only a few can conflict)."""
    if (route.methods or set()) & {"POST", "PUT", "PATCH"}:
        yield 400, _BAD_BODY
    yield 401, _NO_LOGIN
    if _needs_login(route.dependant):
        yield 403, _DENIED + _SUPERSET
        yield 404, _NOT_FOUND + _SUPERSET
    # A CheckedRoute refuses NUL in any query parameter, even one it does not take: any can 422.
    yield 422, _INVALID


class DocumentedRoute(CheckedRoute):
    """An API route that declares in the OpenAPI document the problem+json errors it can
    answer. An entry the route gives itself (`responses=`) keeps its description; declaring
    422 keeps FastAPI from documenting its HTTPValidationError, a shape kefu never sends.

    Its `response_model=` documents the answer at `status_code` and nothing more: handlers
    build their answers by hand (the hot ones pre-serialised, FastJSONResponse) and the tests
    check them against the model, so it is never used to validate or filter an answer at
    runtime. An answer is serialised as FastAPI serialises a value it has no model for."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        model = kwargs.get("response_model")
        if model is not None and not isinstance(model, DefaultPlaceholder):
            status = kwargs.get("status_code") or 200
            given: Responses = dict(kwargs.get("responses") or {})
            given[status] = {"model": model, **given.get(status, {})}
            kwargs["responses"] = given
            kwargs["response_model"] = Any
        super().__init__(path, endpoint, **kwargs)
        responses: Responses = dict(self.responses)
        for status, description in declared_errors(self):
            responses[status] = {**problem_response(description), **responses.get(status, {})}
        self.responses = dict(sorted(responses.items(), key=lambda item: str(item[0])))


def _untitle_answers(document: dict[str, Any]) -> None:
    """Drop the title FastAPI puts beside a documented answer's reference ("Response Get Case
    Api V1 …", from the Any a DocumentedRoute answers with): the model it names says it."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for media in (response.get("content") or {}).values():
                    if "$ref" in media.get("schema", {}):
                        media["schema"].pop("title", None)


def complete_openapi(api: FastAPI) -> None:
    """Add Problem (and the models it names) to the OpenAPI components the error responses
    point at: they name it by reference, so FastAPI does not collect it by itself; and tidy
    the answers DocumentedRoute documents."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = generate()
            problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(problem_schema.pop("$defs", {}))
            schemas["Problem"] = problem_schema
            _untitle_answers(document)
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]
