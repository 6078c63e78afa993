"""Bulk API 2.0 HTTP handlers over the job state in `bulk.py`."""

from __future__ import annotations

from .dispatch import ApiRequest, Reply
from .exceptions import SalesforceError

CSV_TYPE = "text/csv"


def _kind(request: ApiRequest) -> str:
    return request.params["kind"].lower()


def jobs(request: ApiRequest) -> Reply:
    """POST creates a job; GET lists jobs."""
    bulk = request.backend.bulk
    kind = _kind(request)
    if request.method == "GET":
        records = [job.info() for job in bulk.jobs_of(kind)]
        return Reply(body={"done": True, "records": records, "nextRecordsUrl": None})
    spec = request.json_object()
    if kind == "ingest":
        job = bulk.create_ingest(spec, request.user_id, request.version)
    else:
        job = bulk.create_query(spec, request.user_id, request.version)
    return Reply(body=job.info())


def job(request: ApiRequest) -> Reply:
    """GET job info; PATCH state (UploadComplete / Aborted); DELETE."""
    bulk = request.backend.bulk
    kind = _kind(request)
    job_id = request.params["job"]
    if request.method == "GET":
        return Reply(body=bulk.get(job_id, kind).info())
    if request.method == "DELETE":
        bulk.delete(job_id, kind)
        return Reply(status=204)
    state = request.json_object().get("state")
    if not isinstance(state, str):
        raise SalesforceError("INVALIDJOBSTATE", "state must be specified")
    return Reply(body=bulk.change_state(job_id, kind, state).info())


def upload(request: ApiRequest) -> Reply:
    request.backend.bulk.upload(request.params["job"], request.body)
    return Reply(status=201)


def ingest_results(request: ApiRequest) -> Reply:
    text = request.backend.bulk.results(request.params["job"], request.params["which"])
    return Reply(body=text, content_type=CSV_TYPE)


def query_results(request: ApiRequest) -> Reply:
    max_records = request.query.get("maxRecords")
    try:
        limit = int(max_records) if max_records else None
    except ValueError:
        raise SalesforceError("INVALIDJOB", "maxRecords must be a number") from None
    text, locator, count = request.backend.bulk.query_results(
        request.params["job"], request.query.get("locator"), limit
    )
    headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)}
    return Reply(body=text, content_type=CSV_TYPE, headers=headers)
