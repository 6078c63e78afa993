"""REST API handlers: discovery, limits, describe, records, query, replication."""

from __future__ import annotations

from . import ids, replication
from .assignment import header_rule
from .describe import describe_global, describe_object, object_summary
from .dispatch import ApiRequest, Reply
from .exceptions import SalesforceError, not_found
from .org import SaveOptions
from .query import batch_size_from_header

OLDEST_VERSION = 31
CURRENT_VERSION = 67
_SEASONS = ("Summer", "Winter", "Spring")


def version_label(major: int) -> str:
    index = major - OLDEST_VERSION
    return f"{_SEASONS[index % 3]} '{14 + (index + 2) // 3:02d}"


def versions_body() -> list[dict[str, str]]:
    return [
        {
            "label": version_label(major),
            "url": f"/services/data/v{major}.0",
            "version": f"{major}.0",
        }
        for major in range(OLDEST_VERSION, CURRENT_VERSION + 1)
    ]


def save_options(request: ApiRequest) -> SaveOptions:
    header = request.headers.get("sforce-duplicate-rule-header", "")
    allow = "allowsave=true" in header.replace(" ", "").lower()
    return SaveOptions(
        actor_id=request.user_id,
        allow_duplicate_save=allow,
        api_version=request.version,
        assignment_rule=header_rule(request.headers),
    )


def resources(request: ApiRequest) -> Reply:
    base = f"/services/data/v{request.version}"
    names = [
        "sobjects",
        "query",
        "queryAll",
        "limits",
        "composite",
        "jobs",
        "recent",
        "search",
        "tooling",
        "analytics",
        "connect",
        "process",
        "actions",
        "tabs",
        "theme",
        "ui-api",
    ]
    return Reply(body={name: f"{base}/{name}" for name in names})


def limits(request: ApiRequest) -> Reply:
    usage = request.backend.usage.snapshot()

    def entry(maximum: int, used: int = 0) -> dict[str, int]:
        return {"Max": maximum, "Remaining": max(maximum - used, 0)}

    jobs = len(request.backend.bulk.jobs_of("query"))
    return Reply(
        body={
            "ConcurrentAsyncGetReportInstances": entry(200),
            "DailyApiRequests": entry(usage.allowance, usage.used),
            "DailyAsyncApexExecutions": entry(250000),
            "DailyBulkApiBatches": entry(15000),
            "DailyBulkV2QueryFileStorageMB": entry(976562),
            "DailyBulkV2QueryJobs": entry(10000, jobs),
            "DataStorageMB": entry(1024),
            "FileStorageMB": entry(1024),
            "HourlyODataCallout": entry(20000),
            "SingleEmail": entry(5000),
        }
    )


# ---------------------------------------------------------------------- describe


def sobjects(request: ApiRequest) -> Reply:
    return Reply(body=describe_global(request.backend.schema, request.version))


def sobject_info(request: ApiRequest) -> Reply:
    obj = request.backend.org.object(request.params["sobject"])
    return Reply(body={"objectDescribe": object_summary(obj, request.version), "recentItems": []})


def sobject_describe(request: ApiRequest) -> Reply:
    obj = request.backend.org.object(request.params["sobject"])
    return Reply(body=describe_object(request.backend.schema, obj, request.version))


# ---------------------------------------------------------------------- records


def create_record(request: ApiRequest) -> Reply:
    org = request.backend.org
    obj = org.object(request.params["sobject"])
    record_id = org.create(obj.name, request.json_object(), save_options(request))
    return Reply(
        status=201,
        body={"id": record_id, "success": True, "errors": []},
        headers={"Location": f"/services/data/v{request.version}/sobjects/{obj.name}/{record_id}"},
    )


def record(request: ApiRequest) -> Reply:
    """GET / PATCH / DELETE on `/sobjects/{Type}/{id}`; a non-ID segment is an external-ID field."""
    key = request.params["record"]
    if not ids.looks_like_id(key):
        raise not_found(f"Provided external ID field does not exist or is not accessible: {key}")
    method = request.method
    if method == "POST" and request.query.get("_HttpMethod", "").upper() == "PATCH":
        method = "PATCH"
    org = request.backend.org
    obj = org.object(request.params["sobject"])
    if method == "GET":
        fields = request.query.get("fields")
        names = fields.split(",") if fields else None
        return Reply(body=org.retrieve(obj.name, key, names, version=request.version))
    if method == "PATCH":
        org.update(obj.name, key, request.json_object(), save_options(request))
        return Reply(status=204)
    if method == "DELETE":
        _check_type(obj.key_prefix, key)
        org.delete(key, save_options(request))
        return Reply(status=204)
    raise SalesforceError("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed", status=405)


def _check_type(prefix: str, key: str) -> None:
    if key[:3] != prefix:
        raise not_found()


def external_record(request: ApiRequest) -> Reply:
    """GET / PATCH (upsert) / DELETE on `/sobjects/{Type}/{ExtIdField}/{value}`."""
    org = request.backend.org
    obj = org.object(request.params["sobject"])
    field_name, value = request.params["field"], request.params["value"]
    if request.method == "PATCH":
        return _upsert(request, obj.name, field_name, value)
    matches = org.find_by_external_id(obj, field_name, value)
    if not matches:
        raise not_found()
    if len(matches) > 1:
        return _multiple(request, obj.name, matches)
    if request.method == "DELETE":
        org.delete(matches[0], save_options(request))
        return Reply(status=204)
    fields = request.query.get("fields")
    names = fields.split(",") if fields else None
    return Reply(body=org.retrieve(obj.name, matches[0], names, version=request.version))


def _multiple(request: ApiRequest, object_name: str, matches: list[str]) -> Reply:
    base = f"/services/data/v{request.version}/sobjects/{object_name}"
    return Reply(status=300, body=[f"{base}/{match}" for match in matches])


def _upsert(request: ApiRequest, object_name: str, field_name: str, value: str) -> Reply:
    org = request.backend.org
    body = request.json_object()
    if request.query.get("updateOnly", "").lower() == "true":
        matches = org.find_by_external_id(org.object(object_name), field_name, value)
        if not matches:
            raise not_found()
    try:
        record_id, created = org.upsert(object_name, field_name, value, body, save_options(request))
    except SalesforceError as exc:
        if exc.status == 300:
            return _multiple(request, object_name, list(exc.extra["matches"]))
        raise
    result = {"id": record_id, "success": True, "errors": [], "created": created}
    if created:
        return Reply(status=201, body=result)
    if float(request.version) < 46.0:
        return Reply(status=204)
    return Reply(status=200, body=result)


# ---------------------------------------------------------------------- query


def query(request: ApiRequest) -> Reply:
    include_deleted = request.params["resource"].lower() == "queryall"
    locator = request.params.get("locator")
    engine = request.backend.queries
    if locator:
        return Reply(body=engine.query_more(locator, request.version))
    soql = request.query.get("q")
    if soql is None:
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")
    batch_size = batch_size_from_header(request.headers.get("sforce-query-options"))
    return Reply(
        body=engine.query(
            soql,
            include_deleted=include_deleted,
            batch_size=batch_size,
            version=request.version,
            user_id=request.user_id,
        )
    )


def updated(request: ApiRequest) -> Reply:
    body = replication.updated(
        request.backend.org,
        request.params["sobject"],
        request.query.get("start"),
        request.query.get("end"),
    )
    return Reply(body=body)


def deleted(request: ApiRequest) -> Reply:
    body = replication.deleted(
        request.backend.org,
        request.params["sobject"],
        request.query.get("start"),
        request.query.get("end"),
    )
    return Reply(body=body)
