"""The field mappings page over the sandbox org's described schema: changing a field's sync
behaviour (default fields too, kept through the next verify), adding a custom field mapped to
a compatible org field, validation, audit and roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.field_mappings import FieldMappingRepository
from tests.conftest import SandboxClient
from tests.console import WebClient, email_for
from tests.integration.web.admin_support import changes, connect, field_errors, notice


@pytest.fixture
def verified(console_db: Database, sandbox: SandboxClient, tmp_path: Path) -> ConnectorService:
    service = connect(console_db, sandbox, tmp_path)
    assert service.verify().ok
    return service


def _mapping(database: Database, name: str) -> tuple[SyncBehaviour, bool]:
    with database.session(readonly=True) as session:
        found = FieldMappingRepository(session).get(name)
    assert found is not None
    return found.behaviour, found.blank_overwrites


def test_a_default_fields_behaviour_changes_and_survives_the_next_verify(
    web: Callable[..., WebClient], verified: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    page = admin.get("/fields")
    assert page.status_code == 200
    assert 'id="field-job_title"' in page.text
    assert _mapping(console_db, "job_title") == (SyncBehaviour.USE_SALESFORCE, False)

    answer = admin.post(
        "/fields/job_title/behaviour",
        data={"behaviour": "use_leadbridge", "blank_overwrites": "on"},
    )
    assert answer.status_code == 303
    assert notice(answer).startswith("job_title now: Use leadbridge's value; clearing it")
    assert _mapping(console_db, "job_title") == (SyncBehaviour.USE_LEADBRIDGE, True)
    audit = {
        (c.subject, c.field, c.old_value, c.new_value, c.actor)
        for c in changes(console_db, "field_mapping")
    }
    assert audit == {
        ("job_title", "behaviour", "use_salesforce", "use_leadbridge", email_for("admin")),
        ("job_title", "blank_overwrites", "off", "on", email_for("admin")),
    }
    verified.verify()
    verified.verify()
    assert _mapping(console_db, "job_title")[0] is SyncBehaviour.USE_LEADBRIDGE
    assert notice(
        admin.post(
            "/fields/job_title/behaviour",
            data={"behaviour": "use_leadbridge", "blank_overwrites": "on"},
        )
    ) == ("job_title: nothing changed.")


def test_bad_behaviour_changes_are_refused_with_the_reason(
    web: Callable[..., WebClient], verified: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    unknown = admin.post("/fields/job_title/behaviour", data={"behaviour": "coin_flip"})
    assert unknown.status_code == 422
    assert "Choose one of the sync behaviours offered." in unknown.text
    owned = admin.post("/fields/score/behaviour", data={"behaviour": "use_salesforce"})
    assert owned.status_code == 422
    assert "computed by leadbridge" in owned.text
    assert (
        admin.post("/fields/no_such_field/behaviour", data={"behaviour": "most_recent"}).status_code
        == 404
    )
    bad_name = admin.post("/fields/Bad-Name/behaviour", data={"behaviour": "most_recent"})
    assert bad_name.status_code == 422
    assert changes(console_db, "field_mapping") == []


def test_the_email_is_shown_read_only_and_its_change_is_refused(
    web: Callable[..., WebClient], verified: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    page = admin.get("/fields").text
    row = page.split('id="field-email"', 1)[1].split("</tr>", 1)[0]
    assert 'name="behaviour"' not in row and "<form" not in row
    assert "Fixed: the prospect's identity" in row
    assert "Apply email changes made in Salesforce" in row
    assert 'href="/connector#s-apply_crm_email_changes"' in row
    assert 'name="behaviour"' in page.split('id="field-job_title"', 1)[1].split("</tr>", 1)[0]
    before = _mapping(console_db, "email")
    for data in (
        {"behaviour": "use_leadbridge"},
        {"behaviour": before[0], "blank_overwrites": "on"},
    ):
        refused = admin.post("/fields/email/behaviour", data=data)
        assert refused.status_code == 422
        assert "the prospect's identity" in refused.text
        assert "apply_crm_email_changes" in refused.text
    assert _mapping(console_db, "email") == before
    assert changes(console_db, "field_mapping") == []


def test_a_custom_field_is_offered_only_compatible_org_fields_and_mapped(
    web: Callable[..., WebClient], verified: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    text = admin.get("/fields/org-fields?type=text").text
    assert 'value="Preferred_Language__c"' in text
    assert 'value="LeadBridge_Prospect_Id__c"' not in text  # leadbridge's own key
    assert 'value="FirstName"' not in text  # mapped already
    checkbox = admin.get("/fields/org-fields?type=checkbox").text
    assert 'value="HasOptedOutOfFax"' in checkbox and "Preferred_Language__c" not in checkbox

    wrong_type = admin.post(
        "/fields/custom",
        data={"name": "language", "type": "checkbox", "crm_field": "Preferred_Language__c"},
    )
    assert wrong_type.status_code == 422
    assert field_errors(wrong_type.text) == [
        "Preferred_Language__c is not a field on both Lead and Contact that can hold checkbox "
        "values (or it is mapped already)."
    ]
    answer = admin.post(
        "/fields/custom",
        data={
            "name": "language",
            "label": "Language",
            "type": "text",
            "crm_field": "Preferred_Language__c",
            "behaviour": "most_recent",
        },
    )
    assert answer.status_code == 303, answer.text
    assert notice(answer) == (
        "Field language added, mapped to Preferred_Language__c on Lead and Contact."
    )
    with console_db.session(readonly=True) as session:
        field = CustomFieldRepository(session).get_by_name("language")
        mapping = FieldMappingRepository(session).get("language")
    assert field.crm_field == "Preferred_Language__c"
    assert mapping is not None and mapping.behaviour is SyncBehaviour.MOST_RECENT
    assert mapping.lead_field == mapping.contact_field == "Preferred_Language__c"
    audit = [(c.subject, c.field) for c in changes(console_db, "field_mapping")]
    assert audit == [("language", "mapped to"), ("language", "added")]
    assert 'value="Preferred_Language__c"' not in admin.get("/fields/org-fields?type=text").text

    again = admin.post("/fields/custom", data={"name": "language", "type": "text"})
    assert again.status_code == 422
    assert field_errors(again.text) == ["A custom field named &#39;language&#39; already exists."]
    bad_name = admin.post("/fields/custom", data={"name": "Job Title", "type": "text"})
    assert bad_name.status_code == 422
    assert field_errors(bad_name.text)[0].startswith("Use lower-case letters")


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales"])
def test_only_administrators_change_mappings(
    web: Callable[..., WebClient], verified: ConnectorService, role: str
) -> None:
    client = web(role)
    change = client.post("/fields/job_title/behaviour", data={"behaviour": "most_recent"})
    assert change.status_code == 403
    assert client.post("/fields/custom", data={"name": "x", "type": "text"}).status_code == 403
    page = client.get("/fields")
    assert page.status_code == (200 if role == "marketing" else 403)
    if role == "marketing":
        assert 'action="/fields/custom"' not in page.text
        assert "Use Salesforce&#39;s value" in page.text
