"""Errors as application/problem+json: a stable code, the fields at fault, zh-CN and en text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.domain.errors import DomainError, FieldError
from kefu.domain.types import INSTANT_RANGE_EN, INSTANT_RANGE_ZH

PROBLEM = "application/problem+json"

_BAD_TIME = (
    "时间格式无效，应为 ISO 8601，如 2026-11-24T10:00:00+08:00",
    "invalid time; use ISO 8601 such as 2026-11-24T10:00:00+08:00",
)
# Pydantic error types -> (zh, en) so a shape error reads like any other rejection.
_PYDANTIC_ZH = {
    "missing": ("必填", "is required"),
    "string_too_long": ("过长", "is too long"),
    "string_too_short": ("过短", "is too short"),
    "too_short": ("数量太少", "has too few items"),
    "too_long": ("数量太多", "has too many items"),
    "int_parsing": ("必须是整数", "must be an integer"),
    "int_type": ("必须是整数", "must be an integer"),
    "enum": ("取值无效", "is not one of the allowed values"),
    "extra_forbidden": ("不允许的字段", "is not an accepted field"),
    "greater_than_equal": ("数值太小", "is too small"),
    "less_than_equal": ("数值太大", "is too large"),
    "bool_parsing": ("必须是 true 或 false", "must be true or false"),
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
