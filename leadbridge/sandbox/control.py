"""The control plane under `/__sandbox__/`: reset, seed, faults, sales-rep actions, usage, clock.

Never under a Salesforce path, never counted as API usage, never subject to fault injection.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import assignment
from .conversion import LeadConvert, convert_lead, merge
from .dispatch import ApiRequest, Reply, Router
from .exceptions import SalesforceError
from .faults import KINDS
from .org import SaveOptions
from .pubsub import control as cdc_control

FAULT_KINDS = KINDS  # latency, the whole-request errors, connection_cut, record_lock, bulk_shuffle


def _body(request: ApiRequest) -> dict[str, Any]:
    return request.json_object() if request.body else {}


def status(request: ApiRequest) -> Reply:
    return Reply(body=request.backend.status())


def reset(request: ApiRequest) -> Reply:
    request.backend.reset()
    return Reply(body=request.backend.status())


def seed(request: ApiRequest) -> Reply:
    from .seed import SeedSizes, seed_org  # Faker is slow to import: only when seeding

    body = _body(request)
    known = set(SeedSizes.__dataclass_fields__)
    unknown = set(body) - known - {"seed"}
    if unknown:
        raise SalesforceError(
            "INVALID_FIELD", f"Unknown seed options: {', '.join(sorted(unknown))}"
        )
    sizes = SeedSizes(**{key: int(value) for key, value in body.items() if key in known})
    counts = seed_org(request.backend.org, seed=int(body.get("seed", 42)), sizes=sizes)
    return Reply(body={"created": counts})


def faults(request: ApiRequest) -> Reply:
    injector = request.backend.faults
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        body = _body(request)
        if body.get("seed") is not None:
            injector.reseed(int(body["seed"]))
            if "kind" not in body:
                return Reply(body={"faults": injector.describe()})
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise SalesforceError("INVALID_FIELD", f"kind must be one of {', '.join(FAULT_KINDS)}")
        injector.set_rule(
            kind,
            probability=float(body.get("probability", 0.0)),
            next_n=int(body.get("next_n", 0)),
            latency_ms=int(body.get("latency_ms", 0)),
            path_contains=body.get("path_contains"),
            sobject=body.get("object"),
        )
    return Reply(body={"faults": injector.describe()})


def usage(request: ApiRequest) -> Reply:
    if request.method == "POST":
        body = _body(request)
        request.backend.usage.configure(
            allowance=_optional_int(body.get("allowance")), used=_optional_int(body.get("used"))
        )
    snapshot = request.backend.usage.snapshot()
    return Reply(body={"used": snapshot.used, "allowance": snapshot.allowance})


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def queries(request: ApiRequest) -> Reply:
    """Query cursors: `GET` reports them; `POST {"max_batch_size": N}` makes every page at
    most N records (Salesforce may return fewer than the batch size asked for), and
    `{"max_cursors_per_user": N}` sets the cap on open cursors (10; 0 for none)."""
    engine = request.backend.queries
    if request.method == "POST":
        body = _body(request)
        engine.configure(
            max_batch_size=_optional_int(body.get("max_batch_size")),
            max_cursors_per_user=_optional_int(body.get("max_cursors_per_user")),
        )
    stats = engine.stats()
    return Reply(
        body={
            "open_cursors": stats.open,
            "peak_open_per_user": stats.peak,
            "released": stats.released,
            "max_batch_size": engine.max_batch_size,
            "max_cursors_per_user": engine.max_cursors,
        }
    )


def tokens(request: ApiRequest) -> Reply:
    body = _body(request)
    store = request.backend.tokens
    if body.get("expire_all"):
        store.expire_all()
    if body.get("lifetime_seconds"):
        store.set_lifetime(timedelta(seconds=float(body["lifetime_seconds"])))
    return Reply(
        body={"active": store.active_count(), "lifetime_seconds": store.lifetime.total_seconds()}
    )


def clock(request: ApiRequest) -> Reply:
    body = _body(request)
    if body.get("reset"):
        request.backend.clock.reset()
    if body.get("offset_seconds") is not None:
        request.backend.clock.set_offset(timedelta(seconds=float(body["offset_seconds"])))
    if body.get("freeze") is not None:
        request.backend.clock.freeze(bool(body["freeze"]))
    if body.get("advance_seconds"):
        request.backend.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
    clock = request.backend.clock
    return Reply(
        body={
            "now": clock.now().isoformat(),
            "offset_seconds": clock.offset.total_seconds(),
            "frozen": clock.frozen,
        }
    )


def jwt_certificates(request: ApiRequest) -> Reply:
    pem = _body(request).get("certificate")
    if not isinstance(pem, str):
        raise SalesforceError("INVALID_FIELD", "certificate (PEM text) is required")
    try:
        request.backend.auth.add_jwt_certificate(pem)
    except ValueError as exc:
        raise SalesforceError("INVALID_FIELD", f"not a usable certificate: {exc}") from None
    return Reply(status=201, body={"added": True})


def trusted_ips(request: ApiRequest) -> Reply:
    """The org's trusted IP ranges (Setup > Network Access): `{"ranges": ["127.0.0.1/32"]}`
    replaces them; a password without the security token is accepted only from them.
    None by default, and `/reset` clears them."""
    auth = request.backend.auth
    if request.method == "POST":
        ranges = _body(request).get("ranges")
        if not isinstance(ranges, list):
            raise SalesforceError("INVALID_FIELD", "ranges (a list of CIDR ranges) is required")
        try:
            auth.set_trusted_ip_ranges(ranges)
        except ValueError as exc:
            raise SalesforceError("INVALID_FIELD", str(exc)) from None
    return Reply(body={"ranges": auth.trusted_ip_ranges()})


def _rep_options(request: ApiRequest, body: dict[str, Any]) -> SaveOptions:
    """Act as a sales rep: `as_user` (a username) or the admin."""
    username = body.get("as_user")
    actor = request.backend.org.active_user_id(username) if username else None
    if username and actor is None:
        raise SalesforceError("INVALID_FIELD", f"no active user {username}")
    return SaveOptions(actor_id=actor, allow_duplicate_save=bool(body.get("allow_duplicates")))


def records(request: ApiRequest) -> Reply:
    """Create, edit or delete a record as a sales rep does in the Salesforce UI."""
    org = request.backend.org
    body = _body(request)
    options = _rep_options(request, body)
    object_name = request.params["sobject"]
    record_id = request.params.get("record")
    fields = body.get("fields", {})
    if request.method == "POST":
        return Reply(status=201, body={"id": org.create(object_name, fields, options)})
    assert record_id
    if request.method == "PATCH":
        org.update(object_name, record_id, fields, options)
        return Reply(body=org.retrieve(object_name, record_id))
    org.delete(record_id, options)
    return Reply(status=204)


def convert(request: ApiRequest) -> Reply:
    body = _body(request)
    result = convert_lead(
        request.backend.org,
        LeadConvert(
            lead_id=str(body.get("leadId", "")),
            converted_status=body.get("convertedStatus"),
            account_id=body.get("accountId"),
            contact_id=body.get("contactId"),
            do_not_create_opportunity=bool(body.get("doNotCreateOpportunity", False)),
            opportunity_name=body.get("opportunityName"),
        ),
        _rep_options(request, body),
    )
    return Reply(
        body={
            "leadId": result.lead_id,
            "accountId": result.account_id,
            "contactId": result.contact_id,
            "opportunityId": result.opportunity_id,
        }
    )


def merge_records(request: ApiRequest) -> Reply:
    body = _body(request)
    result = merge(
        request.backend.org,
        str(body.get("type", "")),
        str(body.get("masterId", "")),
        [str(value) for value in body.get("mergeIds", [])],
        body.get("fields"),
        _rep_options(request, body),
    )
    return Reply(
        body={
            "id": result.id,
            "mergedRecordIds": result.merged_record_ids,
            "updatedRelatedIds": result.updated_related_ids,
        }
    )


def undelete(request: ApiRequest) -> Reply:
    body = _body(request)
    results = []
    for record_id in body.get("ids", []):
        try:
            request.backend.org.undelete(str(record_id), _rep_options(request, body))
            results.append({"id": record_id, "success": True, "errors": []})
        except SalesforceError as exc:
            results.append({"id": record_id, "success": False, "errors": [exc.collection_item()]})
    return Reply(body=results)


def assignment_rules(request: ApiRequest) -> Reply:
    """The org's lead assignment rules and default lead owner (Setup, in Salesforce)."""
    org = request.backend.org
    if request.method == "PUT":
        return Reply(body=assignment.configure(org, _body(request)))
    if request.method == "DELETE":
        assignment.configure(org, {})
    return Reply(body=assignment.describe(org))


def build_control_router() -> Router:
    router = Router()
    router.add("GET", "", status)
    router.add("POST", "/reset", reset)
    router.add("POST", "/seed", seed)
    router.add("GET POST DELETE", "/faults", faults)
    router.add("GET POST", "/usage", usage)
    router.add("GET POST", "/queries", queries)
    router.add("POST", "/tokens", tokens)
    router.add("POST", "/clock", clock)
    router.add("POST", "/jwt-certificates", jwt_certificates)
    router.add("GET POST", "/trusted-ips", trusted_ips)
    router.add("POST", "/records/(?P<sobject>\\w+)", records)
    router.add("PATCH DELETE", "/records/(?P<sobject>\\w+)/(?P<record>\\w+)", records)
    router.add("POST", "/convert", convert)
    router.add("POST", "/merge", merge_records)
    router.add("POST", "/undelete", undelete)
    router.add("GET PUT DELETE", "/assignment-rules", assignment_rules)
    router.add("GET PUT", "/cdc", cdc_control.cdc)
    router.add("POST", "/cdc/events", cdc_control.inject)
    return router
