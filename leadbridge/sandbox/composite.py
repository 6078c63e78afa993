"""Composite resources: sObject Collections, Composite (with references), Batch and Tree."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import ids
from .dispatch import ApiRequest, Reply
from .exceptions import SalesforceError
from .responses import save_options
from .upsert_keys import duplicate_external_id, external_key, repeated_keys

MAX_COLLECTION = 200
MAX_RETRIEVE = 2000
MAX_SUBREQUESTS = 25
MAX_QUERY_SUBREQUESTS = 5  # query/queryAll subrequests per Composite request
_QUERY_PATH = re.compile(
    r"^/?(?:services/data/)?v\d+\.\d+/query(?:All)?(?:/[^/?]*)?/?$", re.IGNORECASE
)
_ROLLED_BACK = SalesforceError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")


class _RollBackError(Exception):
    """Raised inside an allOrNone transaction to undo every record of the request."""


def _records(body: dict[str, Any]) -> list[dict[str, Any]]:
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise SalesforceError("JSON_PARSER_ERROR", "records must be an array of sObjects")
    if len(records) > MAX_COLLECTION:
        raise SalesforceError(
            "EXCEEDED_MAX_SIZE_REQUEST",
            f"The number of records ({len(records)}) exceeds the maximum of {MAX_COLLECTION}",
        )
    return records


def _type_of(item: dict[str, Any]) -> str:
    attributes = item.get("attributes")
    if not isinstance(attributes, dict) or not attributes.get("type"):
        raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.", fields=[])
    return str(attributes["type"])


def _run_all(
    request: ApiRequest,
    items: list[Any],
    action: Callable[[Any], dict[str, Any]],
    all_or_none: bool,
) -> list[dict[str, Any]]:
    """Apply `action` to each item; roll all back if asked. Each action saves through one
    `Org` call (create, update, upsert or delete), which is atomic on its own (a savepoint
    inside the batch's transaction): a failing item leaves nothing behind and the others
    stand, with no second savepoint around it here.
    An injected `record_lock` fault fails single items with UNABLE_TO_LOCK_ROW, unsaved."""
    org = request.backend.org
    results: list[dict[str, Any]] = []
    failed = False
    try:
        with org.batch():
            for item in items:
                try:
                    locked = request.backend.faults.record_lock(
                        request.path, _item_id(item), _item_object(request, item)
                    )
                    if locked is not None:
                        raise locked
                    results.append(action(item))
                except SalesforceError as exc:
                    failed = True
                    results.append(
                        {"success": False, "errors": [exc.collection_item()], "id": _item_id(item)}
                    )
            if failed and all_or_none:
                raise _RollBackError
    except _RollBackError:
        return [
            result
            if not result["success"]
            else {"id": None, "success": False, "errors": [_ROLLED_BACK.collection_item()]}
            for result in results
        ]
    return results


def _item_object(request: ApiRequest, item: Any) -> str | None:
    """The object of a collection item (its `attributes.type`, or a bare id's key prefix)."""
    if isinstance(item, dict):
        attributes = item.get("attributes")
        kind = attributes.get("type") if isinstance(attributes, dict) else None
        return str(kind) if kind else None
    try:
        return request.backend.org.object_for_id(str(item)).name
    except SalesforceError:
        return None


def _item_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id") or item.get("Id")
        return str(value) if value else None
    return str(item) if item else None


def collections(request: ApiRequest) -> Reply:
    """POST create / PATCH update / DELETE on `/composite/sobjects`."""
    org = request.backend.org
    options = save_options(request)
    if request.method == "DELETE":
        id_list = [value for value in request.query.get("ids", "").split(",") if value]
        if len(id_list) > MAX_COLLECTION:
            raise SalesforceError("EXCEEDED_MAX_SIZE_REQUEST", "Too many ids (maximum 200)")
        all_or_none = request.query.get("allOrNone", "false").lower() == "true"

        def remove(record_id: str) -> dict[str, Any]:
            org.delete(record_id, options)
            return {"id": ids.to18(record_id), "success": True, "errors": []}

        return Reply(body=_run_all(request, id_list, remove, all_or_none))
    body = request.json_object()
    records = _records(body)
    all_or_none = bool(body.get("allOrNone", False))

    def create(item: dict[str, Any]) -> dict[str, Any]:
        if item.get("id") or item.get("Id"):
            raise SalesforceError(
                "INVALID_FIELD", "Can't specify an Id for a record being created", fields=["Id"]
            )
        values = {key: value for key, value in item.items() if key != "attributes"}
        return {"id": org.create(_type_of(item), values, options), "success": True, "errors": []}

    def update(item: dict[str, Any]) -> dict[str, Any]:
        record_id = item.get("id") or item.get("Id") or (item.get("attributes") or {}).get("id")
        if not record_id:
            raise SalesforceError(
                "MISSING_ARGUMENT", "Id not specified in an update call", fields=[]
            )
        values = {k: v for k, v in item.items() if k not in {"attributes", "id", "Id"}}
        updated = org.update(_type_of(item), str(record_id), values, options)
        return {"id": updated, "success": True, "errors": []}

    action = create if request.method == "POST" else update
    return Reply(body=_run_all(request, records, action, all_or_none))


def collection_upsert(request: ApiRequest) -> Reply:
    """PATCH `/composite/sobjects/{Type}/{ExtIdField}`."""
    org = request.backend.org
    options = save_options(request)
    obj = org.object(request.params["sobject"])
    field_name = request.params["field"]
    ext_field = obj.field(field_name)
    if ext_field is None or not (ext_field.external_id or ext_field.name == "Id"):
        raise SalesforceError(
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field_name}",
            status=404,
        )
    body = request.json_object()
    records = _records(body)
    repeated = repeated_keys(item.get(ext_field.name) for item in records)

    def upsert(item: dict[str, Any]) -> dict[str, Any]:
        if _type_of(item).lower() != obj.name.lower():
            raise SalesforceError("INVALID_TYPE", "All records must be of the URL's type")
        value = item.get(ext_field.name)
        if value is None:
            raise SalesforceError(
                "MISSING_ARGUMENT", f"{ext_field.name} not specified", fields=[ext_field.name]
            )
        if ext_field.name != "Id" and external_key(value) in repeated:
            raise duplicate_external_id(ext_field.name, value)
        values = {k: v for k, v in item.items() if k not in {"attributes", ext_field.name}}
        record_id, created = org.upsert(obj.name, ext_field.name, str(value), values, options)
        return {"id": record_id, "success": True, "errors": [], "created": created}

    return Reply(body=_run_all(request, records, upsert, bool(body.get("allOrNone", False))))


def collection_retrieve(request: ApiRequest) -> Reply:
    """GET `?ids=&fields=` or POST `{"ids": [...], "fields": [...]}` on a type's collection."""
    if request.method == "GET":
        id_list = [value for value in request.query.get("ids", "").split(",") if value]
        fields = [value for value in request.query.get("fields", "").split(",") if value]
    else:
        body = request.json_object()
        id_list = list(body.get("ids") or [])
        fields = list(body.get("fields") or [])
    if not fields:
        raise SalesforceError("MISSING_ARGUMENT", "fields must be specified", fields=[])
    if len(id_list) > MAX_RETRIEVE:
        raise SalesforceError("EXCEEDED_MAX_SIZE_REQUEST", "Too many ids (maximum 2000)")
    records = request.backend.org.retrieve_many(
        request.params["sobject"],
        [str(value) for value in id_list],
        fields,
        version=request.version,
    )
    return Reply(body=records)


# ---------------------------------------------------------------------- composite


def composite(request: ApiRequest) -> Reply:
    body = request.json_object()
    subrequests = body.get("compositeRequest")
    if not isinstance(subrequests, list) or not subrequests:
        raise SalesforceError("JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise SalesforceError(
            "INVALID_BATCH_REQUEST", f"Limit Exceeded: {MAX_SUBREQUESTS} subrequests at most"
        )
    _check_query_count(subrequests)
    all_or_none = bool(body.get("allOrNone", False))
    outputs: list[dict[str, Any]] = []
    references: dict[str, Any] = {}
    org = request.backend.org
    try:
        with org.batch():
            failed = _run_subrequests(request, subrequests, references, outputs, all_or_none)
            if failed and all_or_none:
                raise _RollBackError
    except _RollBackError:
        outputs = [_halted(output) for output in outputs]
    return Reply(body={"compositeResponse": outputs})


def _check_query_count(subrequests: list[Any]) -> None:
    """Refuse the whole request, before running any of it, when it holds more than five query
    subrequests (Salesforce's documented limit; the exact wording is our choice)."""
    queries = sum(1 for sub in subrequests if _is_query(sub))
    if queries > MAX_QUERY_SUBREQUESTS:
        raise SalesforceError(
            "INVALID_BATCH_REQUEST",
            f"Limit Exceeded: {queries} query subrequests; a composite request allows "
            f"{MAX_QUERY_SUBREQUESTS} at most",
        )


def _is_query(sub: Any) -> bool:
    if not isinstance(sub, dict) or str(sub.get("method", "GET")).upper() != "GET":
        return False
    return bool(_QUERY_PATH.match(urlsplit(str(sub.get("url", ""))).path))


def _run_subrequests(
    request: ApiRequest,
    subrequests: list[Any],
    references: dict[str, Any],
    outputs: list[dict[str, Any]],
    all_or_none: bool,
) -> bool:
    failed = False
    for sub in subrequests:
        reference_id = str(sub.get("referenceId", ""))
        if failed and all_or_none:
            outputs.append(_processing_halted(reference_id))
            continue
        try:
            sub = _resolve_references(sub, references)
        except SalesforceError as exc:
            outputs.append(
                {
                    "body": exc.rest_body(),
                    "httpHeaders": {},
                    "httpStatusCode": 400,
                    "referenceId": reference_id,
                }
            )
            failed = True
            continue
        reply = _subrequest(request, sub)
        outputs.append(
            {
                "body": reply.body,
                "httpHeaders": _sub_headers(reply),
                "httpStatusCode": reply.status,
                "referenceId": reference_id,
            }
        )
        if reply.status >= 400:
            failed = True
        else:
            references[reference_id] = reply.body
    return failed


def _sub_headers(reply: Reply) -> dict[str, str]:
    return {key: value for key, value in reply.headers.items() if key == "Location"}


def _processing_halted(reference_id: str) -> dict[str, Any]:
    return {
        "body": [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": "The transaction was rolled back since another operation in the "
                "same transaction failed.",
            }
        ],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    }


def _halted(output: dict[str, Any]) -> dict[str, Any]:
    if output["httpStatusCode"] >= 400:
        return output
    return _processing_halted(output["referenceId"])


def _resolve_references(sub: dict[str, Any], references: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(sub)

    def value_of(match: re.Match[str]) -> str:
        ref, path = match.group(1), match.group(2)
        if ref not in references:
            raise SalesforceError(
                "INVALID_REFERENCE",
                f"Invalid reference specified. No value for {ref}.{path} "
                "found in the previous subrequests",
            )
        value: Any = references[ref]
        for part in re.findall(r"[^.\[\]]+", path):
            value = value[int(part)] if isinstance(value, list) else (value or {}).get(part)
        return json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)

    return dict(json.loads(_REFERENCE.sub(value_of, text)))


def _subrequest(request: ApiRequest, sub: dict[str, Any]) -> Reply:
    url = str(sub.get("url", ""))
    parts = urlsplit(url)
    match = re.match(r"^/?(?:services/data/)?v(\d+\.\d+)(/.*)?$", parts.path, re.IGNORECASE)
    if not match:
        return Reply.error(SalesforceError("NOT_FOUND", f"Invalid url: {url}", status=404))
    body = sub.get("body", sub.get("richInput"))
    headers = {key.lower(): str(value) for key, value in (sub.get("httpHeaders") or {}).items()}
    inner = ApiRequest(
        backend=request.backend,
        method=str(sub.get("method", "GET")).upper(),
        path=(match.group(2) or "").rstrip("/"),
        version=match.group(1),
        query=dict(parse_qsl(parts.query)),
        headers={**request.headers, **headers},
        body=b"" if body is None else json.dumps(body).encode(),
        user_id=request.user_id,
    )
    return request.backend.router.dispatch(inner)


# ---------------------------------------------------------------------- batch and tree


def batch(request: ApiRequest) -> Reply:
    body = request.json_object()
    subrequests = body.get("batchRequests")
    if not isinstance(subrequests, list) or not subrequests:
        raise SalesforceError("JSON_PARSER_ERROR", "batchRequests must be a non-empty array")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise SalesforceError("INVALID_BATCH_REQUEST", "Limit Exceeded: 25 subrequests at most")
    halt = bool(body.get("haltOnError", False))
    results: list[dict[str, Any]] = []
    halted = False
    for sub in subrequests:
        if halted:
            results.append(
                {
                    "statusCode": 412,
                    "result": [
                        {
                            "errorCode": "BATCH_PROCESSING_HALTED",
                            "message": "Batch processing halted per request",
                        }
                    ],
                }
            )
            continue
        reply = _locked_subrequest(request, sub)
        if reply is None:
            with request.backend.org.batch():
                reply = _subrequest(request, sub)
        results.append({"statusCode": reply.status, "result": reply.body})
        halted = halt and reply.status >= 400
    has_errors = any(result["statusCode"] >= 400 for result in results)
    return Reply(body={"hasErrors": has_errors, "results": results})


def _locked_subrequest(request: ApiRequest, sub: dict[str, Any]) -> Reply | None:
    """An injected `record_lock` on a batch's write subrequest: its lock error, unapplied."""
    if str(sub.get("method", "GET")).upper() == "GET":
        return None
    url = str(sub.get("url", ""))
    locked = request.backend.faults.record_lock(url, _id_in_url(url), _object_in_url(url))
    return None if locked is None else Reply.error(locked)


def _object_in_url(url: str) -> str | None:
    """`Lead` in `/services/data/v59.0/sobjects/Lead/...`."""
    parts = urlsplit(url).path.strip("/").split("/")
    after = parts.index("sobjects") + 1 if "sobjects" in parts else len(parts)
    return parts[after] if after < len(parts) else None


def _id_in_url(url: str) -> str | None:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return last if ids.looks_like_id(last) and any(char.isdigit() for char in last) else None


def tree(request: ApiRequest) -> Reply:
    """POST `/composite/tree/{Type}`: nested records created all-or-nothing."""
    body = request.json_object()
    records = _records(body)
    org = request.backend.org
    options = save_options(request)
    results: list[dict[str, Any]] = []

    def insert(object_name: str, item: dict[str, Any], parent: tuple[str, str] | None) -> None:
        attributes = item.get("attributes") or {}
        reference_id = str(attributes.get("referenceId", ""))
        values: dict[str, Any] = {}
        children: list[tuple[str, dict[str, Any]]] = []
        for key, value in item.items():
            if key == "attributes":
                continue
            if isinstance(value, dict) and "records" in value:
                children.extend((key, child) for child in value["records"])
            else:
                values[key] = value
        if parent:
            values[parent[0]] = parent[1]
        try:
            record_id = org.create(str(attributes.get("type", object_name)), values, options)
        except SalesforceError as exc:
            results.append({"referenceId": reference_id, "errors": [exc.collection_item()]})
            raise _RollBackError from None
        results.append({"referenceId": reference_id, "id": record_id})
        for relationship, child in children:
            child_type = str((child.get("attributes") or {}).get("type", ""))
            link = _child_link(request, child_type, object_name, relationship)
            insert(child_type, child, (link, record_id))

    try:
        with org.batch():
            for item in records:
                insert(request.params["sobject"], item, None)
    except _RollBackError:
        failures = [result for result in results if "errors" in result]
        return Reply(status=400, body={"hasErrors": True, "results": failures})
    return Reply(status=201, body={"hasErrors": False, "results": results})


def _child_link(request: ApiRequest, child_type: str, parent_type: str, relationship: str) -> str:
    child = request.backend.org.object(child_type)
    for field in child.iter_fields():
        if field.type == "reference" and parent_type.lower() in (
            target.lower() for target in field.reference_to
        ):
            return field.name
    raise SalesforceError("INVALID_FIELD", f"No relationship {relationship} on {parent_type}")
