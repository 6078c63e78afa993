"""Reading what a website form posts: url-encoded (what an HTML form sends) or JSON.

The body is read up to a limit, and must be a flat set of fields: text values (repeated
fields become a list, for multi-selects) or, in JSON, numbers, booleans and lists of them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from leadbridge.api.errors import ApiError
from leadbridge.domain.forms import MAX_FORM_FIELDS

MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
_SCALARS = (str, int, float, bool, type(None))


async def read_submission(request: Request) -> dict[str, Any]:
    """The posted fields; ApiError (400/413/415/422) when the body cannot be used."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == FORM:
        return _form_fields(await _read_limited(request))
    if media_type == "application/json" or media_type.endswith("+json"):
        return _json_fields(await _read_limited(request))
    raise ApiError(
        415,
        "unsupported_media_type",
        f"send the form as {FORM} (an HTML form's default) or application/json",
    )


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    return bytes(body)


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", f"a submission is at most {MAX_BODY_BYTES} bytes")


def _form_fields(body: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_body", "the form is not valid UTF-8") from None
    except ValueError:
        raise _too_many() from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields


def _too_many() -> ApiError:
    return ApiError(422, "too_many_fields", f"at most {MAX_FORM_FIELDS} fields per submission")


def _json_fields(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(400, "invalid_body", f"the body is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", "send a JSON object of form fields")
    if len(data) > MAX_FORM_FIELDS:
        raise _too_many()
    for name, value in data.items():
        flat = isinstance(value, _SCALARS) or (
            isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value)
        )
        if not flat:
            raise ApiError(422, "invalid_value", "nested objects are not form fields", field=name)
    return data
