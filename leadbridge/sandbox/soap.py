"""SOAP partner-API envelopes: parse `login`, `convertLead` and `merge` requests, render replies.

Parsing is namespace-agnostic because clients disagree on prefixes (`env:` or `soapenv:`, `n1:` or
`urn:`) and sometimes on namespaces. Replies are rendered as text rather than through ElementTree
so that the prefixes come out exactly as Salesforce writes them: simple-salesforce looks elements
up by qualified name (`sessionId`, `sf:exceptionCode`) and strips the literal tags from the markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Real Salesforce answers every fault with HTTP 500.
FAULT_STATUS = 500
CONTENT_TYPE = "text/xml; charset=utf-8"
# Salesforce answers malformed requests with this SOAP-level code and no `sf:` detail.
CLIENT_FAULT_CODE = "soapenv:Client"
INVALID_LOGIN_MESSAGE = "Invalid username, password, security token; or user locked out."

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_ENVELOPE_OPEN = (
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns="{PARTNER_NS}" xmlns:xsi="{XSI_NS}">'
    "<soapenv:Body>"
)
_ENVELOPE_CLOSE = "</soapenv:Body></soapenv:Envelope>"
_XSI_NIL = f"{{{XSI_NS}}}nil"
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONVERT_BOOLEANS = frozenset(
    {
        "doNotCreateOpportunity",
        "overwriteLeadSource",
        "sendNotificationEmail",
        "bypassAccountDedupeCheck",
        "bypassContactDedupeCheck",
    }
)
_SOBJECT_META = frozenset({"type", "Id", "fieldsToNull"})
# The detail element Salesforce uses for each exception code; anything else is unexpected.
_FAULT_TYPES = {
    "INVALID_TYPE": "InvalidSObjectFault",
    "INVALID_FIELD": "InvalidFieldFault",
    "MALFORMED_QUERY": "MalformedQueryFault",
    "INVALID_ID_FIELD": "InvalidIdFault",
    "INVALID_QUERY_LOCATOR": "InvalidQueryLocatorFault",
}


class SoapFault(Exception):  # noqa: N818 - Salesforce's own term
    """A request the SOAP endpoint answers with a fault; `message` must not contain secrets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SoapRequest:
    operation: str
    session_id: str | None
    payload: Element


@dataclass
class MergeRequest:
    master_type: str
    master_id: str
    master_fields: dict[str, str]
    record_ids: list[str]
    fields_to_null: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_envelope(body: bytes) -> SoapRequest:
    """Split a SOAP 1.1 request into operation name, `SessionHeader/sessionId` and payload."""
    root = _parse_xml(body)
    if _local(root.tag) != "Envelope":
        raise _client_fault("the root element is not a SOAP Envelope")
    soap_body = _child(root, "Body")
    if soap_body is None:
        raise _client_fault("the SOAP Envelope has no Body")
    payload = next(iter(soap_body), None)
    if payload is None:
        raise _client_fault("the SOAP Body is empty")
    return SoapRequest(_local(payload.tag), _session_id(root), payload)


def parse_login(req: SoapRequest) -> tuple[str, str]:
    """`(username, password)`; the password keeps surrounding whitespace, as Salesforce's does."""
    _require_operation(req, "login")
    username = _child_text(req.payload, "username")
    password = _child_text(req.payload, "password")
    if not username or not username.strip() or password is None:
        raise SoapFault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    return username.strip(), password


def parse_convert_lead(req: SoapRequest) -> list[dict[str, Any]]:
    """One dict per `leadConverts`: ids and names as str (None when empty or nil), flags as bool.

    Nested `accountRecord`/`contactRecord`/`opportunityRecord` sObjects become dicts of fields.
    """
    _require_operation(req, "convertLead")
    return [_lead_convert(item) for item in _children(req.payload, "leadConverts")]


def parse_merge(req: SoapRequest) -> list[MergeRequest]:
    """One MergeRequest per `request` element; limits (200 requests, 2 ids) are the caller's job."""
    _require_operation(req, "merge")
    return [_merge_request(item) for item in _children(req.payload, "request")]


def _parse_xml(body: bytes) -> Element:
    try:
        root: Element = fromstring(body)
    except ParseError as exc:
        raise _client_fault(f"the request is not well-formed XML ({exc})") from None
    except DefusedXmlException:
        raise _client_fault("DTDs and entity declarations are not allowed") from None
    return root


def _session_id(root: Element) -> str | None:
    header = _child(root, "Header")
    session_header = _child(header, "SessionHeader") if header is not None else None
    if session_header is None:
        return None
    value = _child_text(session_header, "sessionId")
    return value.strip() if value and value.strip() else None


def _require_operation(req: SoapRequest, operation: str) -> None:
    if req.operation != operation:
        raise _client_fault(f"expected a {operation} request, got {req.operation}")


def _lead_convert(element: Element) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if len(child):
            result[name] = _sobject_fields(child)[0]
        elif name in _CONVERT_BOOLEANS:
            result[name] = _boolean(child, name)
        else:
            result[name] = _scalar(child)
    return result


def _merge_request(element: Element) -> MergeRequest:
    master = _child(element, "masterRecord")
    if master is None:
        raise _client_fault("MergeRequest.masterRecord is required")
    master_type = (_child_text(master, "type") or "").strip()
    master_id = (_child_text(master, "Id") or "").strip()
    if not master_type or not master_id:
        raise SoapFault("MISSING_ARGUMENT", "masterRecord needs a type and an Id")
    fields, to_null = _sobject_fields(master)
    record_ids = [
        (item.text or "").strip()
        for item in _children(element, "recordToMergeIds")
        if (item.text or "").strip()
    ]
    return MergeRequest(master_type, master_id, fields, record_ids, to_null)


def _sobject_fields(element: Element) -> tuple[dict[str, str], list[str]]:
    """An sObject's field values, and the fields it sets to null (`fieldsToNull` or `xsi:nil`)."""
    fields: dict[str, str] = {}
    to_null: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "fieldsToNull" and (child.text or "").strip():
            to_null.append((child.text or "").strip())
        elif name in _SOBJECT_META:
            continue
        elif child.get(_XSI_NIL) == "true":
            to_null.append(name)
        else:
            fields[name] = child.text or ""
    return fields, to_null


def _scalar(element: Element) -> str | None:
    if element.get(_XSI_NIL) == "true":
        return None
    text = (element.text or "").strip()
    return text or None


def _boolean(element: Element, name: str) -> bool:
    text = (element.text or "").strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0", ""}:
        return False
    raise _client_fault(f"{name}: '{text}' is not a valid boolean")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    return next(iter(_children(element, name)), None)


def _child_text(element: Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else (child.text or "")


def _client_fault(message: str) -> SoapFault:
    return SoapFault(CLIENT_FAULT_CODE, message)


# ---------------------------------------------------------------------------------------------
# Rendering


def login_response(
    server_url: str,
    metadata_server_url: str,
    session_id: str,
    user_id: str,
    org_id: str,
    user_name: str,
    user_email: str,
    seconds_valid: int = 7200,
    *,
    user_full_name: str = "Sandbox Admin",
    organization_name: str = "leadbridge sandbox",
) -> bytes:
    """The `loginResponse` real Salesforce returns (section 2.2 of the API notes).

    `sessionId` and `serverUrl` stay unprefixed and attribute-free: simple-salesforce finds them
    with minidom's `getElementsByTagName` and strips the literal `<sessionId>` tags.
    """
    user_info = "".join(
        [
            _el("accessibilityMode", "false"),
            _el("currencySymbol", "$"),
            _el("orgAttachmentFileSizeLimit", "5242880"),
            _el("orgDefaultCurrencyIsoCode", "USD"),
            _el("orgDisallowHtmlAttachments", "false"),
            _el("orgHasPersonAccounts", "false"),
            _el("organizationId", org_id),
            _el("organizationMultiCurrency", "false"),
            _el("organizationName", organization_name),
            _el("sessionSecondsValid", str(seconds_valid)),
            _el("userEmail", user_email),
            _el("userFullName", user_full_name),
            _el("userId", user_id),
            _el("userLanguage", "en_US"),
            _el("userLocale", "en_US"),
            _el("userName", user_name),
            _el("userTimeZone", "GMT"),
            _el("userType", "Standard"),
            _el("userUiSkin", "Theme3"),
        ]
    )
    result = "".join(
        [
            _el("metadataServerUrl", metadata_server_url),
            _el("passwordExpired", "false"),
            _el("sandbox", "false"),
            _el("serverUrl", server_url),
            _el("sessionId", session_id),
            _el("userId", user_id),
            f"<userInfo>{user_info}</userInfo>",
        ]
    )
    return _envelope(f"<loginResponse><result>{result}</result></loginResponse>")


def fault(code: str, message: str, *, login: bool = False) -> bytes:
    """A SOAP fault carrying `sf:exceptionCode`/`sf:exceptionMessage` (serve it with FAULT_STATUS).

    Login faults use an unprefixed faultcode and `sf:LoginFault`, as in simple-salesforce's
    captured response; other faults use `sf:CODE` and the detail type Salesforce uses for the code.
    A SOAP-level code such as CLIENT_FAULT_CODE gets no detail, as Salesforce sends it.
    """
    if code == CLIENT_FAULT_CODE:
        return _fault_envelope(_el("faultcode", code) + _el("faultstring", message))
    fault_type = "LoginFault" if login else _FAULT_TYPES.get(code, "UnexpectedErrorFault")
    fault_code = code if login else f"sf:{code}"
    detail = (
        f'<sf:{fault_type} xsi:type="sf:{fault_type}">'
        f"{_el('sf:exceptionCode', code)}{_el('sf:exceptionMessage', message)}"
        f"</sf:{fault_type}>"
    )
    return _fault_envelope(
        f"{_el('faultcode', fault_code)}{_el('faultstring', f'{code}: {message}')}"
        f"<detail>{detail}</detail>"
    )


def _fault_envelope(content: str) -> bytes:
    return (
        f"{_XML_DECLARATION}<soapenv:Envelope xmlns:soapenv={quoteattr(SOAP_ENV_NS)} "
        f"xmlns:sf={quoteattr(FAULT_NS)} xmlns:xsi={quoteattr(XSI_NS)}>"
        f"<soapenv:Body><soapenv:Fault>{content}</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


def convert_lead_response(results: Iterable[Mapping[str, Any]]) -> bytes:
    """`convertLeadResponse` with one LeadConvertResult per input, fields in WSDL order."""
    items = "".join(
        "<result>"
        + _el_or_nil("accountId", item.get("accountId"))
        + _el_or_nil("contactId", item.get("contactId"))
        + _errors(item.get("errors") or [])
        + _el_or_nil("leadId", item.get("leadId"))
        + _el_or_nil("opportunityId", item.get("opportunityId"))
        + _el("success", _bool_text(item.get("success")))
        + "</result>"
        for item in results
    )
    return _envelope(f"<convertLeadResponse>{items}</convertLeadResponse>")


def merge_response(results: Iterable[Mapping[str, Any]]) -> bytes:
    """`mergeResponse` with one MergeResult per request, fields in WSDL order."""
    items = "".join(
        "<result>"
        + _errors(item.get("errors") or [])
        + _el_or_nil("id", item.get("id"))
        + "".join(_el("mergedRecordIds", value) for value in item.get("mergedRecordIds") or [])
        + _el("success", _bool_text(item.get("success")))
        + "".join(_el("updatedRelatedIds", value) for value in item.get("updatedRelatedIds") or [])
        + "</result>"
        for item in results
    )
    return _envelope(f"<mergeResponse>{items}</mergeResponse>")


def _errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """Partner-API `Error` elements: `fields*`, `message`, `statusCode` (WSDL order)."""
    return "".join(
        "<errors>"
        + "".join(_el("fields", name) for name in error.get("fields") or [])
        + _el("message", str(error.get("message", "")))
        + _el("statusCode", str(error.get("statusCode", "UNKNOWN_EXCEPTION")))
        + "</errors>"
        for error in errors
    )


def _envelope(content: str) -> bytes:
    return f"{_XML_DECLARATION}{_ENVELOPE_OPEN}{content}{_ENVELOPE_CLOSE}".encode()


def _el(name: str, text: str) -> str:
    return f"<{name}>{_text(text)}</{name}>"


def _el_or_nil(name: str, value: object) -> str:
    if value is None or value == "":
        return f'<{name} xsi:nil="true"/>'
    return _el(name, str(value))


def _bool_text(value: object) -> str:
    return "true" if value is True or value == "true" else "false"


def _text(value: str) -> str:
    """Escape for element content, dropping characters XML 1.0 cannot carry at all."""
    return escape(_INVALID_XML_CHARS.sub("", value))
