"""OAuth token endpoint and the SOAP partner endpoint (login, convertLead, merge)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

from . import soap
from .auth import AuthResult, OAuthError, basic_credentials
from .backend import SandboxBackend
from .conversion import LeadConvert, convert_lead, merge
from .dispatch import Reply
from .exceptions import SalesforceError
from .org import SaveOptions

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_MERGE_REQUESTS = 200
MAX_CONVERSIONS = 100


def oauth_token(
    backend: SandboxBackend, headers: dict[str, str], body: bytes, client_ip: str | None = None
) -> Reply:
    """`POST /services/oauth2/token` for the password, client-credentials and JWT grants.

    `client_ip` is the caller's address: a password without the security token is accepted
    only from the org's trusted IP ranges."""
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type", "")
    try:
        result = _grant(backend, grant, form, headers, client_ip)
    except OAuthError as exc:
        return Reply(status=exc.status, body=exc.body())
    issued_at = int(time.time() * 1000)
    return Reply(body=backend.auth.token_response(result, backend.instance_url, issued_at))


def _grant(
    backend: SandboxBackend,
    grant: str,
    form: dict[str, str],
    headers: dict[str, str],
    client_ip: str | None,
) -> AuthResult:
    auth = backend.auth
    if grant == "password":
        return auth.password_grant(
            form.get("client_id", ""),
            form.get("client_secret", ""),
            form.get("username", ""),
            form.get("password", ""),
            client_ip,
        )
    if grant == "client_credentials":
        client = basic_credentials(headers.get("authorization")) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        return auth.client_credentials_grant(*client)
    if grant == JWT_GRANT:
        return auth.jwt_bearer_grant(form.get("assertion", ""), login_urls(backend, headers))
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def login_urls(backend: SandboxBackend, headers: dict[str, str]) -> list[str]:
    """The audiences a JWT may name: the sandbox's login URL (its instance URL, as in its
    credentials file) and the URL the request was sent to (`https://` + its Host), the
    sandbox's counterparts of login/test.salesforce.com and an org's My Domain login URL.
    Compared exactly: no trailing slash, no path."""
    urls = [backend.instance_url] if backend.instance_url else []
    host = headers.get("host", "").strip()
    if host:
        urls.append(f"https://{host}")
    return urls


def soap_call(
    backend: SandboxBackend, version: str, body: bytes, client_ip: str | None = None
) -> Reply:
    """Any SOAP partner call: login needs no session; convertLead and merge need one."""
    try:
        request = soap.parse_envelope(body)
        if request.operation == "login":
            return _login(backend, version, request, client_ip)
        if not request.session_id:
            raise SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader")
        try:
            user_id = backend.tokens.check(request.session_id)
        except SalesforceError as exc:
            raise SoapFault(exc.error_code, exc.message) from None
        backend.usage.count_call()
        if request.operation == "convertLead":
            return _soap_reply(soap.convert_lead_response(_convert(backend, request, user_id)))
        if request.operation == "merge":
            return _soap_reply(soap.merge_response(_merge(backend, request, user_id)))
        raise SoapFault("INVALID_OPERATION", f"The operation {request.operation} is not supported")
    except SoapFault as exc:
        return _soap_reply(
            soap.fault(exc.code, exc.message, login=exc.code == "INVALID_LOGIN"),
            status=soap.FAULT_STATUS,
        )
    except SalesforceError as exc:
        return _soap_reply(soap.fault(exc.error_code, exc.message), status=soap.FAULT_STATUS)


SoapFault = soap.SoapFault


def _soap_reply(body: bytes, status: int = 200) -> Reply:
    return Reply(status=status, body=body, content_type=soap.CONTENT_TYPE)


def _login(
    backend: SandboxBackend, version: str, request: soap.SoapRequest, client_ip: str | None
) -> Reply:
    username, password = soap.parse_login(request)
    result = backend.auth.soap_login(username, password, client_ip)
    user = backend.org.user_info(result.user_id)
    org_id = backend.org.org_id
    base = backend.instance_url
    body = soap.login_response(
        server_url=f"{base}/services/Soap/u/{version}/{org_id}",
        metadata_server_url=f"{base}/services/Soap/m/{version}/{org_id}",
        session_id=result.access_token,
        user_id=result.user_id,
        org_id=org_id,
        user_name=str(user["Username"]),
        user_email=str(user["Email"]),
        seconds_valid=int(backend.tokens.lifetime.total_seconds()),
        user_full_name=str(user.get("Name") or ""),
        organization_name=backend.org.org_name,
    )
    return _soap_reply(body)


def _convert(
    backend: SandboxBackend, request: soap.SoapRequest, user_id: str
) -> list[dict[str, Any]]:
    items = soap.parse_convert_lead(request)
    if len(items) > MAX_CONVERSIONS:
        raise SoapFault("LIMIT_EXCEEDED", f"convertLead accepts at most {MAX_CONVERSIONS} leads")
    options = SaveOptions(actor_id=user_id)
    results = []
    for item in items:
        try:
            converted = convert_lead(backend.org, _lead_convert(item), options)
        except (SalesforceError, ValueError) as exc:
            results.append(
                {"success": False, "leadId": item.get("leadId"), "errors": [_soap_error(exc)]}
            )
            continue
        results.append(
            {
                "success": True,
                "leadId": converted.lead_id,
                "accountId": converted.account_id,
                "contactId": converted.contact_id,
                "opportunityId": converted.opportunity_id,
            }
        )
    return results


def _lead_convert(item: dict[str, Any]) -> LeadConvert:
    if not item.get("leadId"):
        raise SalesforceError("REQUIRED_FIELD_MISSING", "leadId is required", fields=["leadId"])
    return LeadConvert(
        lead_id=str(item["leadId"]),
        converted_status=item.get("convertedStatus"),
        account_id=item.get("accountId"),
        contact_id=item.get("contactId"),
        do_not_create_opportunity=bool(item.get("doNotCreateOpportunity")),
        opportunity_name=item.get("opportunityName"),
        owner_id=item.get("ownerId"),
        overwrite_lead_source=bool(item.get("overwriteLeadSource")),
    )


def _soap_error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, SalesforceError):
        return {"statusCode": exc.error_code, "message": exc.message, "fields": exc.fields or []}
    return {"statusCode": "MALFORMED_ID", "message": str(exc), "fields": []}


def _merge(
    backend: SandboxBackend, request: soap.SoapRequest, user_id: str
) -> list[dict[str, Any]]:
    requests = soap.parse_merge(request)
    if len(requests) > MAX_MERGE_REQUESTS:
        raise SoapFault("LIMIT_EXCEEDED", f"merge accepts at most {MAX_MERGE_REQUESTS} requests")
    options = SaveOptions(actor_id=user_id)
    results = []
    for item in requests:
        try:
            merged = merge(
                backend.org,
                item.master_type,
                item.master_id,
                item.record_ids,
                dict(item.master_fields) or None,
                options,
            )
        except (SalesforceError, ValueError) as exc:
            results.append({"success": False, "id": item.master_id, "errors": [_soap_error(exc)]})
            continue
        results.append(
            {
                "success": True,
                "id": merged.id,
                "mergedRecordIds": merged.merged_record_ids,
                "updatedRelatedIds": merged.updated_related_ids,
            }
        )
    return results
