from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any
from xml.dom import minidom

import pytest
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin
from simple_salesforce.util import getUniqueElementValueFromXmlString

from leadbridge.sandbox import soap
from leadbridge.sandbox.soap import SoapFault

SESSION_ID = "00D5g0000000001AAA!AQ4AQH.abc_DEF123"
SERVER_URL = "https://localhost:8443/services/Soap/u/59.0/00D5g0000000001AAA"
METADATA_URL = "https://localhost:8443/services/Soap/m/59.0/00D5g0000000001AAA"
TRICKY_PASSWORD = "p&ss<wo>rd\"'"

# The security-token body, verbatim from simple-salesforce 1.12 login.py.
ENV_LOGIN = f"""<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope
        xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <env:Header>
        <urn:CallOptions>
            <urn:client>simple-salesforce</urn:client>
            <urn:defaultNamespace>sf</urn:defaultNamespace>
        </urn:CallOptions>
    </env:Header>
    <env:Body>
        <n1:login xmlns:n1="urn:partner.soap.sforce.com">
            <n1:username>{html.escape("a&b@example.com")}</n1:username>
            <n1:password>{html.escape(TRICKY_PASSWORD)}TOKEN123</n1:password>
        </n1:login>
    </env:Body>
</env:Envelope>"""

# The organizationId (IP filtering) body.
SOAPENV_LOGIN = f"""<?xml version="1.0" encoding="utf-8" ?>
<soapenv:Envelope
        xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <soapenv:Header>
        <urn:CallOptions>
            <urn:client>simple-salesforce</urn:client>
            <urn:defaultNamespace>sf</urn:defaultNamespace>
        </urn:CallOptions>
        <urn:LoginScopeHeader>
            <urn:organizationId>00D5g0000000001</urn:organizationId>
        </urn:LoginScopeHeader>
    </soapenv:Header>
    <soapenv:Body>
        <urn:login>
            <urn:username>user@example.com</urn:username>
            <urn:password>{html.escape(TRICKY_PASSWORD)}</urn:password>
        </urn:login>
    </soapenv:Body>
</soapenv:Envelope>"""

CONVERT_LEAD = """<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Header>
    <urn:SessionHeader><urn:sessionId>00D5g0000000001AAA!AQtoken</urn:sessionId></urn:SessionHeader>
  </soapenv:Header>
  <soapenv:Body>
    <urn:convertLead>
      <urn:leadConverts>
        <urn:accountId>0015g000000001AAAA</urn:accountId>
        <urn:contactId xsi:nil="true"/>
        <urn:convertedStatus>Closed - Converted</urn:convertedStatus>
        <urn:doNotCreateOpportunity>true</urn:doNotCreateOpportunity>
        <urn:leadId>00Q5g000000001AAAA</urn:leadId>
        <urn:opportunityName></urn:opportunityName>
        <urn:overwriteLeadSource>false</urn:overwriteLeadSource>
        <urn:ownerId>0055g000000001AAAA</urn:ownerId>
        <urn:sendNotificationEmail>0</urn:sendNotificationEmail>
      </urn:leadConverts>
      <urn:leadConverts>
        <urn:leadId>00Q5g000000002AAAA</urn:leadId>
        <urn:convertedStatus>Closed - Converted</urn:convertedStatus>
        <urn:opportunityName>Big &amp; Bold</urn:opportunityName>
        <urn:accountRecord><urn:Name>Acme</urn:Name></urn:accountRecord>
      </urn:leadConverts>
    </urn:convertLead>
  </soapenv:Body>
</soapenv:Envelope>"""

MERGE = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:sf="urn:sobject.partner.soap.sforce.com">
  <env:Header>
    <SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>TOKEN</sessionId></SessionHeader>
  </env:Header>
  <env:Body>
    <merge xmlns="urn:partner.soap.sforce.com">
      <request>
        <masterRecord xsi:type="sf:sObject">
          <sf:type>Lead</sf:type>
          <sf:fieldsToNull>Title</sf:fieldsToNull>
          <sf:Id>00Q5g000000001AAAA</sf:Id>
          <sf:Email>winner@example.com</sf:Email>
          <sf:Phone xsi:nil="true"/>
        </masterRecord>
        <recordToMergeIds>00Q5g000000002AAAA</recordToMergeIds>
        <recordToMergeIds>00Q5g000000003AAAA</recordToMergeIds>
      </request>
      <request>
        <masterRecord xsi:type="sf:sObject">
          <sf:type>Contact</sf:type><sf:Id>0035g000000001AAAA</sf:Id>
        </masterRecord>
        <recordToMergeIds>0035g000000002AAAA</recordToMergeIds>
      </request>
    </merge>
  </env:Body>
</env:Envelope>"""


@dataclass
class _FakeResponse:
    status_code: int
    content: bytes


@dataclass
class _FakeSession:
    """Stands in for requests.Session: answers simple-salesforce's login with the sandbox's XML."""

    reply: bytes
    status: int = 200
    bodies: list[str] = field(default_factory=list)

    def post(self, url: str, data: str, **_: Any) -> _FakeResponse:
        self.bodies.append(data)
        return _FakeResponse(self.status, self.reply)


def _login_reply() -> bytes:
    return soap.login_response(
        SERVER_URL,
        METADATA_URL,
        SESSION_ID,
        "0055g000000001AAAA",
        "00D5g0000000001AAA",
        "admin@sandbox.leadbridge.test",
        "admin@example.com",
    )


# --- parsing ---------------------------------------------------------------------------------


def test_parse_env_login_unescapes_credentials() -> None:
    req = soap.parse_envelope(ENV_LOGIN.encode())
    assert req.operation == "login"
    assert req.session_id is None
    assert soap.parse_login(req) == ("a&b@example.com", TRICKY_PASSWORD + "TOKEN123")


def test_parse_soapenv_login_variant() -> None:
    req = soap.parse_envelope(SOAPENV_LOGIN.encode())
    assert soap.parse_login(req) == ("user@example.com", TRICKY_PASSWORD)


@pytest.mark.parametrize(
    ("security_token", "organization_id"),
    [("TOKEN", None), (None, "00D5g0000000001"), (None, None)],
    ids=["token", "organization-id", "no-token"],
)
def test_every_simple_salesforce_login_body_parses(
    security_token: str | None, organization_id: str | None
) -> None:
    session = _FakeSession(_login_reply())
    SalesforceLogin(
        username="u&<>@example.com",
        password=TRICKY_PASSWORD,
        security_token=security_token,
        organizationId=organization_id,
        session=session,  # type: ignore[arg-type]
        scratch_url="https://localhost:8443",
    )
    username, password = soap.parse_login(soap.parse_envelope(session.bodies[0].encode()))
    assert username == "u&<>@example.com"
    assert password == TRICKY_PASSWORD + (security_token or "")


def test_parse_convert_lead() -> None:
    req = soap.parse_envelope(CONVERT_LEAD.encode())
    assert req.operation == "convertLead"
    assert req.session_id == "00D5g0000000001AAA!AQtoken"
    first, second = soap.parse_convert_lead(req)
    assert first == {
        "accountId": "0015g000000001AAAA",
        "contactId": None,
        "convertedStatus": "Closed - Converted",
        "doNotCreateOpportunity": True,
        "leadId": "00Q5g000000001AAAA",
        "opportunityName": None,
        "overwriteLeadSource": False,
        "ownerId": "0055g000000001AAAA",
        "sendNotificationEmail": False,
    }
    assert second == {
        "leadId": "00Q5g000000002AAAA",
        "convertedStatus": "Closed - Converted",
        "opportunityName": "Big & Bold",
        "accountRecord": {"Name": "Acme"},
    }


def test_parse_convert_lead_rejects_bad_boolean() -> None:
    body = CONVERT_LEAD.replace(">true<", ">maybe<")
    with pytest.raises(SoapFault) as info:
        soap.parse_convert_lead(soap.parse_envelope(body.encode()))
    assert info.value.code == soap.CLIENT_FAULT_CODE


def test_parse_merge() -> None:
    req = soap.parse_envelope(MERGE.encode())
    assert req.operation == "merge"
    assert req.session_id == "TOKEN"
    lead, contact = soap.parse_merge(req)
    assert lead.master_type == "Lead"
    assert lead.master_id == "00Q5g000000001AAAA"
    assert lead.master_fields == {"Email": "winner@example.com"}
    assert lead.fields_to_null == ["Title", "Phone"]
    assert lead.record_ids == ["00Q5g000000002AAAA", "00Q5g000000003AAAA"]
    assert contact.master_type == "Contact"
    assert contact.master_fields == {}
    assert contact.record_ids == ["0035g000000002AAAA"]


def test_merge_without_master_id_faults() -> None:
    body = MERGE.replace("<sf:Id>0035g000000001AAAA</sf:Id>", "")
    with pytest.raises(SoapFault) as info:
        soap.parse_merge(soap.parse_envelope(body.encode()))
    assert info.value.code == "MISSING_ARGUMENT"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<foo/>",
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>',
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>',
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    ],
)
def test_malformed_envelopes_fault(body: bytes) -> None:
    with pytest.raises(SoapFault) as info:
        soap.parse_envelope(body)
    assert info.value.code == soap.CLIENT_FAULT_CODE


def test_parse_login_requires_login_operation() -> None:
    with pytest.raises(SoapFault):
        soap.parse_login(soap.parse_envelope(MERGE.encode()))


def test_login_without_username_is_invalid_login() -> None:
    body = SOAPENV_LOGIN.replace("user@example.com", "")
    with pytest.raises(SoapFault) as info:
        soap.parse_login(soap.parse_envelope(body.encode()))
    assert info.value.code == "INVALID_LOGIN"


# --- rendering -------------------------------------------------------------------------------


def _texts(node: minidom.Document | minidom.Element, name: str) -> list[str]:
    """The text of every `name` element under `node` (exact qualified name, as minidom matches)."""
    return [
        child.data
        for element in node.getElementsByTagName(name)
        if isinstance(child := element.firstChild, minidom.Text)
    ]


def test_login_response_parsed_by_simple_salesforce_util() -> None:
    reply = _login_reply()
    assert getUniqueElementValueFromXmlString(reply, "sessionId") == SESSION_ID
    assert getUniqueElementValueFromXmlString(reply, "serverUrl") == SERVER_URL
    assert getUniqueElementValueFromXmlString(reply, "sessionSecondsValid") == "7200"


def test_login_response_shape() -> None:
    dom = minidom.parseString(_login_reply())
    envelope = dom.documentElement
    assert envelope is not None
    assert envelope.tagName == "soapenv:Envelope"
    assert envelope.getAttribute("xmlns") == "urn:partner.soap.sforce.com"
    result = dom.getElementsByTagName("result")[0]
    assert isinstance(result.parentNode, minidom.Element)
    assert result.parentNode.tagName == "loginResponse"
    for name in ("sessionId", "serverUrl"):
        assert not dom.getElementsByTagName(name)[0].attributes.length
    assert _texts(dom, "userId") == ["0055g000000001AAAA"] * 2  # result and userInfo
    assert _texts(dom, "organizationId") == ["00D5g0000000001AAA"]


def test_simple_salesforce_login_round_trip() -> None:
    session = _FakeSession(_login_reply())
    session_id, instance = SalesforceLogin(
        username="admin@sandbox.leadbridge.test",
        password="pw",
        security_token="tok",
        session=session,  # type: ignore[arg-type]
        scratch_url="https://localhost:8443",
    )
    assert session_id == SESSION_ID
    assert instance == "localhost:8443"


def test_login_fault_parsed_by_simple_salesforce() -> None:
    reply = soap.fault("INVALID_LOGIN", soap.INVALID_LOGIN_MESSAGE, login=True)
    assert getUniqueElementValueFromXmlString(reply, "sf:exceptionCode") == "INVALID_LOGIN"
    assert (
        getUniqueElementValueFromXmlString(reply, "sf:exceptionMessage")
        == soap.INVALID_LOGIN_MESSAGE
    )
    dom = minidom.parseString(reply)
    assert _texts(dom, "faultcode") == ["INVALID_LOGIN"]
    assert _texts(dom, "faultstring") == ["INVALID_LOGIN: " + soap.INVALID_LOGIN_MESSAGE]
    detail = dom.getElementsByTagName("sf:LoginFault")[0]
    assert detail.getAttribute("xsi:type") == "sf:LoginFault"

    session = _FakeSession(reply, status=soap.FAULT_STATUS)
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        SalesforceLogin(
            username="u",
            password="p",
            security_token="t",
            session=session,  # type: ignore[arg-type]
            scratch_url="https://localhost:8443",
        )
    assert info.value.code == "INVALID_LOGIN"


@pytest.mark.parametrize(
    ("code", "detail"),
    [("INVALID_SESSION_ID", "sf:UnexpectedErrorFault"), ("INVALID_TYPE", "sf:InvalidSObjectFault")],
)
def test_other_faults(code: str, detail: str) -> None:
    reply = soap.fault(code, "a <message> & more")
    dom = minidom.parseString(reply)
    assert _texts(dom, "faultcode") == [f"sf:{code}"]
    assert dom.getElementsByTagName(detail)[0].getAttribute("xsi:type") == detail
    assert getUniqueElementValueFromXmlString(reply, "sf:exceptionCode") == code
    assert _texts(dom, "sf:exceptionMessage") == ["a <message> & more"]


def test_client_fault_has_no_detail() -> None:
    dom = minidom.parseString(soap.fault(soap.CLIENT_FAULT_CODE, "bad"))
    assert _texts(dom, "faultcode") == ["soapenv:Client"]
    assert not dom.getElementsByTagName("detail")


def test_convert_lead_response() -> None:
    reply = soap.convert_lead_response(
        [
            {
                "success": True,
                "leadId": "00Q5g000000001AAAA",
                "accountId": "0015g000000001AAAA",
                "contactId": "0035g000000001AAAA",
                "opportunityId": None,
                "errors": [],
            },
            {
                "success": False,
                "leadId": "00Q5g000000002AAAA",
                "errors": [
                    {"statusCode": "CANNOT_UPDATE_CONVERTED_LEAD", "message": "x & y", "fields": []}
                ],
            },
        ]
    )
    dom = minidom.parseString(reply)
    assert dom.getElementsByTagName("convertLeadResponse")
    ok, failed = dom.getElementsByTagName("result")
    assert [node.tagName for node in ok.childNodes if isinstance(node, minidom.Element)] == [
        "accountId",
        "contactId",
        "leadId",
        "opportunityId",
        "success",
    ]
    assert ok.getElementsByTagName("opportunityId")[0].getAttribute("xsi:nil") == "true"
    assert _texts(ok, "success") == ["true"]
    assert _texts(failed, "success") == ["false"]
    assert _texts(failed, "statusCode") == ["CANNOT_UPDATE_CONVERTED_LEAD"]
    assert _texts(failed, "message") == ["x & y"]


def test_merge_response() -> None:
    reply = soap.merge_response(
        [
            {
                "id": "00Q5g000000001AAAA",
                "success": True,
                "mergedRecordIds": ["00Q5g000000002AAAA"],
                "updatedRelatedIds": ["00v5g000000001AAAA", "00v5g000000002AAAA"],
                "errors": [],
            },
            {
                "id": None,
                "success": False,
                "errors": [{"statusCode": "INVALID_ID_FIELD", "message": "bad", "fields": ["Id"]}],
            },
        ]
    )
    dom = minidom.parseString(reply)
    assert dom.getElementsByTagName("mergeResponse")
    ok, failed = dom.getElementsByTagName("result")
    assert _texts(ok, "id") == ["00Q5g000000001AAAA"]
    assert _texts(ok, "mergedRecordIds") == ["00Q5g000000002AAAA"]
    assert _texts(ok, "updatedRelatedIds") == ["00v5g000000001AAAA", "00v5g000000002AAAA"]
    assert _texts(failed, "fields") == ["Id"]
    assert _texts(failed, "success") == ["false"]


def test_renderers_drop_characters_xml_cannot_carry() -> None:
    reply = soap.fault("UNKNOWN_EXCEPTION", "bell\x07 here")
    assert getUniqueElementValueFromXmlString(reply, "sf:exceptionMessage") == "bell here"
