from __future__ import annotations

import pytest

from leadbridge.domain.fields import DEFAULT_MAPPINGS, FieldType, SyncBehaviour
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store import CustomFieldRepository, Database, FieldMappingRepository


def test_custom_field_lifecycle(db: Database) -> None:
    with db.session() as session:
        fields = CustomFieldRepository(session)
        added = fields.add(
            "shirt_size", "Shirt size", FieldType.DROPDOWN, options=["S", " M ", "S"]
        )
        assert added.options == ("S", "M")
        assert fields.get_by_name("shirt_size") == added
        assert fields.set_options("shirt_size", ["S", "M", "L"]).options == ("S", "M", "L")
        assert fields.set_crm_field("shirt_size", "Shirt_Size__c").crm_field == "Shirt_Size__c"
        fields.add("age", "Age", FieldType.NUMBER)
        assert [f.name for f in fields.list()] == ["age", "shirt_size"]
        assert fields.find("nope") is None
        with pytest.raises(NotFoundError):
            fields.get_by_name("nope")


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("Bad-Name", InputError, "lower-case"),
        ("first_name", InputError, "default prospect field"),
        ("age", ConflictError, "already exists"),
    ],
)
def test_custom_field_names_are_checked(
    db: Database, name: str, error: type[Exception], message: str
) -> None:
    with db.session() as session:
        fields = CustomFieldRepository(session)
        fields.add("age", "Age", FieldType.NUMBER)
        with pytest.raises(error, match=message):
            fields.add(name, "X", FieldType.TEXT)


def test_options_only_for_choice_fields(db: Database) -> None:
    with db.session() as session, pytest.raises(InputError, match="takes no options"):
        CustomFieldRepository(session).add("age", "Age", FieldType.NUMBER, options=["1"])


def test_default_mappings_round_trip(db: Database) -> None:
    with db.session() as session:
        mappings = FieldMappingRepository(session)
        for default in DEFAULT_MAPPINGS:
            mappings.upsert(
                default.field,
                lead_field=default.lead_field,
                contact_field=default.contact_field,
                behaviour=default.behaviour,
                is_default=True,
            )
    with db.session() as session:
        listed = {m.field_name: m for m in FieldMappingRepository(session).list()}
    assert len(listed) == len(DEFAULT_MAPPINGS)
    company = listed["company"]
    assert (company.lead_field, company.contact_field) == ("Company", "Account.Name")
    assert company.crm_field("Contact") == "Account.Name"
    assert listed["opted_out"].behaviour is SyncBehaviour.MOST_RECENT
    assert not company.blank_overwrites and company.is_default


def test_mapping_refuses_double_mapping_and_unknown_fields(db: Database) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("nickname", "Nickname", FieldType.TEXT)
        mappings = FieldMappingRepository(session)
        mappings.upsert(
            "first_name",
            lead_field="FirstName",
            contact_field="FirstName",
            behaviour="use_salesforce",
        )
        assert mappings.by_crm_field("Lead", "firstname") == mappings.get("first_name")
        assert mappings.by_crm_field("Contact", "Nickname__c") is None
        with pytest.raises(ConflictError, match=r"Lead\.FIRSTNAME is already mapped to first_name"):
            mappings.upsert(
                "nickname",
                lead_field="FIRSTNAME",
                contact_field=None,
                behaviour=SyncBehaviour.MOST_RECENT,
            )
        updated = mappings.upsert(
            "nickname",
            lead_field="Nickname__c",
            contact_field="Nickname__c",
            behaviour="most_recent",
            blank_overwrites=True,
        )
        assert updated.blank_overwrites
        with pytest.raises(NotFoundError, match="no prospect field"):
            mappings.upsert(
                "ghost", lead_field=None, contact_field=None, behaviour="use_salesforce"
            )
        with pytest.raises(InputError, match="sync behaviour"):
            mappings.upsert("nickname", lead_field=None, contact_field=None, behaviour="newest")
        with pytest.raises(InputError):
            mappings.by_crm_field("Account", "Name")
        mappings.delete("nickname")
        assert mappings.get("nickname") is None
        with pytest.raises(NotFoundError):
            mappings.delete("nickname")


def test_account_mappings(db: Database) -> None:
    with db.session() as session:
        mappings = FieldMappingRepository(session)
        mappings.upsert_account("name", "Name")
        mappings.upsert_account("billing_city", "BillingCity")
        mappings.upsert_account("name", "Name")
        assert [(m.field, m.account_field) for m in mappings.list_account()] == [
            ("billing_city", "BillingCity"),
            ("name", "Name"),
        ]
        with pytest.raises(ConflictError, match="already mapped to name"):
            mappings.upsert_account("account_name", "name")
        mappings.delete_account("billing_city")
        assert len(mappings.list_account()) == 1
