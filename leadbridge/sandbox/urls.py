"""The REST API's routes below `/services/data/vXX.X` (moto's urls.py)."""

from __future__ import annotations

from . import bulk_responses, composite, responses
from .dispatch import Router
from .pubsub.control import tooling_query

_NAME = r"(?P<sobject>\w+)"


def build_router() -> Router:
    router = Router()
    add = router.add
    add("GET", "", responses.resources)
    add("GET", "/limits", responses.limits)
    add("GET", "/sobjects", responses.sobjects)
    add("GET", rf"/sobjects/{_NAME}/describe", responses.sobject_describe)
    add("GET", rf"/sobjects/{_NAME}/updated", responses.updated)
    add("GET", rf"/sobjects/{_NAME}/deleted", responses.deleted)
    add("GET", rf"/sobjects/{_NAME}", responses.sobject_info)
    add("POST", rf"/sobjects/{_NAME}", responses.create_record)
    add("GET PATCH DELETE POST", rf"/sobjects/{_NAME}/(?P<record>[^/]+)", responses.record)
    add(
        "GET PATCH DELETE",
        rf"/sobjects/{_NAME}/(?P<field>\w+)/(?P<value>[^/]+)",
        responses.external_record,
    )
    add("GET", r"/(?P<resource>query|queryAll)", responses.query)
    add("GET", r"/(?P<resource>query|queryAll)/(?P<locator>[\w-]+)", responses.query)
    add("GET", "/tooling/query", tooling_query)
    add("POST PATCH DELETE", "/composite/sobjects", composite.collections)
    add("GET POST", rf"/composite/sobjects/{_NAME}", composite.collection_retrieve)
    add("PATCH", rf"/composite/sobjects/{_NAME}/(?P<field>\w+)", composite.collection_upsert)
    add("POST", "/composite", composite.composite)
    add("POST", "/composite/batch", composite.batch)
    add("POST", rf"/composite/tree/{_NAME}", composite.tree)
    add("GET POST", r"/jobs/(?P<kind>ingest|query)", bulk_responses.jobs)
    add("GET PATCH DELETE", r"/jobs/(?P<kind>ingest|query)/(?P<job>\w+)", bulk_responses.job)
    add("PUT", r"/jobs/(?P<kind>ingest)/(?P<job>\w+)/batches", bulk_responses.upload)
    add(
        "GET",
        r"/jobs/ingest/(?P<job>\w+)/(?P<which>successfulResults|failedResults|unprocessedRecords)",
        bulk_responses.ingest_results,
    )
    add("GET", r"/jobs/query/(?P<job>\w+)/results", bulk_responses.query_results)
    return router
