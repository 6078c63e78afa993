from __future__ import annotations

from datetime import date

import pytest

from leadbridge.domain.fields import DEFAULT_FIELD_NAMES, FieldType, Origin
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store import (
    AuditRepository,
    CustomFieldRepository,
    Database,
    MarketingCampaignRepository,
    ProspectRepository,
)
from tests.integration.store.support import FakeClock

USER = Origin.USER


def _add(db: Database, clock: FakeClock, **values: object) -> int:
    with db.session() as session:
        return ProspectRepository(session, clock).add(values, origin=USER, actor="ada").id


def test_add_keeps_every_default_field(db: Database, clock: FakeClock) -> None:
    values = {
        "email": " Ada@Example.com ",
        "salutation": "Ms",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "job_title": "Analyst",
        "department": "R&D",
        "company": "Engines Ltd",
        "website": "https://example.com",
        "phone": "+44 1",
        "fax": "+44 2",
        "address_one": "1 Street",
        "address_two": "Flat 2",
        "city": "London",
        "state": "LDN",
        "zip": "N1",
        "country": "UK",
        "industry": "Computing",
        "annual_revenue": "1,250,000.50",
        "employees": 42,
        "source": "Web",
        "comments": "Likes engines",
        "notes": "Met at a fair",
        "opted_out": "yes",
        "do_not_email": False,
        "do_not_call": 1,
        "score": "17",
        "grade": "A",
    }
    with db.session() as session:
        MarketingCampaignRepository(session).add("Spring")
        added = ProspectRepository(session, clock).add(
            {**values, "marketing_campaign": "Spring"}, origin=USER, actor="ada"
        )
    with db.session() as session:
        prospect = ProspectRepository(session, clock).get(added.id)
    assert prospect == added
    assert set(DEFAULT_FIELD_NAMES) <= set(vars(prospect))
    assert prospect.email == "Ada@Example.com"
    assert prospect.annual_revenue == 1_250_000.5
    assert (prospect.employees, prospect.score) == (42, 17)
    assert (prospect.opted_out, prospect.do_not_email, prospect.do_not_call) == (True, False, True)
    assert prospect.marketing_campaign == "Spring"
    assert prospect.created_at == prospect.updated_at == clock.now()
    assert prospect.assigned_user_id is None and not prospect.recycled


def test_email_is_required_and_validated(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        with pytest.raises(InputError, match="email"):
            prospects.add({"first_name": "Nobody"}, origin=USER, actor=None)
        with pytest.raises(InputError, match="not a valid email"):
            prospects.add({"email": "not an email"}, origin=USER, actor=None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("favourite_colour", "blue", "favourite_colour: no such prospect field"),
        ("first_name", 12, "first_name: expected text, got int"),
        ("first_name", "x" * 41, "first_name: longer than 40 characters"),
        ("employees", "many", "employees: 'many' is not a number"),
        ("employees", 1.5, "employees: 1.5 is not a whole number"),
        ("opted_out", "perhaps", "opted_out: 'perhaps' is not true or false"),
        ("annual_revenue", True, "annual_revenue: expected a number, got bool"),
        ("marketing_campaign", "Nope", "no marketing campaign named 'Nope'"),
    ],
)
def test_bad_values_are_input_errors_naming_the_field(
    db: Database, clock: FakeClock, field: str, value: object, message: str
) -> None:
    with db.session() as session, pytest.raises(InputError) as raised:
        ProspectRepository(session, clock).add(
            {"email": "a@example.com", field: value}, origin=USER, actor=None
        )
    assert message in str(raised.value)


def test_email_is_unique_among_live_prospects_in_any_case(db: Database, clock: FakeClock) -> None:
    first = _add(db, clock, email="ada@example.com")
    with db.session() as session, pytest.raises(ConflictError, match=f"prospect {first}"):
        ProspectRepository(session, clock).add(
            {"email": " ADA@example.COM"}, origin=USER, actor=None
        )


def test_recycled_email_can_be_reused_and_restore_then_conflicts(
    db: Database, clock: FakeClock
) -> None:
    first = _add(db, clock, email="ada@example.com")
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        recycled = prospects.recycle(first, origin=USER, actor="ada")
        assert recycled.recycled and not recycled.deleted_in_crm
        assert prospects.by_email("ada@example.com") is None
        second = prospects.add({"email": "Ada@Example.com"}, origin=USER, actor="ada")
        assert prospects.by_email("ADA@example.com") == second
        with pytest.raises(ConflictError, match=f"prospect {second.id} already has"):
            prospects.restore(first, origin=USER, actor="ada")
        prospects.recycle(second.id, origin=Origin.SALESFORCE, actor=None, deleted_in_crm=True)
        restored = prospects.restore(first, origin=USER, actor="ada")
        assert not restored.recycled
        assert prospects.by_email("ada@example.com") == restored
        assert prospects.get(second.id).deleted_in_crm


def test_unicode_and_quotes_in_emails_and_values(db: Database, clock: FakeClock) -> None:
    emails = ["o'brien@example.com", "x%_y@example.com", "zoë+tag@example.com"]
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        for email in emails[:2]:
            prospects.add(
                {"email": email, "last_name": "D'Arcy; DROP TABLE prospects"},
                origin=USER,
                actor=None,
            )
        with pytest.raises(InputError):  # non-ASCII local parts are not valid for Salesforce
            prospects.add({"email": emails[2]}, origin=USER, actor=None)
        prospects.add(
            {"email": "zoe@example.com", "first_name": "Zoë 東京"}, origin=USER, actor=None
        )
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        found = prospects.by_emails(["O'Brien@Example.com", "x%_y@example.com", "x@example.com"])
        assert sorted(found) == ["o'brien@example.com", "x%_y@example.com"]
        assert found["o'brien@example.com"].last_name == "D'Arcy; DROP TABLE prospects"
        zoe = prospects.by_email("ZOE@example.com")
        assert zoe is not None and zoe.first_name == "Zoë 東京"


def test_get_unknown_prospect_is_not_found(db: Database, clock: FakeClock) -> None:
    with db.session() as session, pytest.raises(NotFoundError):
        ProspectRepository(session, clock).get(12345)


def test_update_writes_one_audit_row_per_changed_field(db: Database, clock: FakeClock) -> None:
    prospect_id = _add(db, clock, email="ada@example.com", first_name="Ada", score=5)
    clock.tick()
    with db.session() as session:
        updated = ProspectRepository(session, clock).update(
            prospect_id,
            {"first_name": "Ada", "last_name": "Lovelace", "score": "6", "company": ""},
            origin=Origin.IMPORT,
            actor="import #3",
        )
        assert updated.updated_at == clock.now()
        entries = AuditRepository(session).for_prospect(prospect_id)
    changes = {(e.field, e.old_value, e.new_value, e.origin, e.actor) for e in entries[:-1]}
    assert changes == {
        ("last_name", None, "Lovelace", Origin.IMPORT, "import #3"),
        ("score", "5", "6", Origin.IMPORT, "import #3"),
    }
    assert (entries[-1].field, entries[-1].new_value) == ("prospect", "created")
    assert all(entry.at.tzinfo is not None for entry in entries)


def test_update_with_nothing_changed_writes_nothing(db: Database, clock: FakeClock) -> None:
    prospect_id = _add(db, clock, email="ada@example.com", first_name="Ada")
    clock.tick()
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        before = prospects.get(prospect_id)
        after = prospects.update(
            prospect_id, {"first_name": "Ada", "email": "ada@example.com"}, origin=USER, actor=None
        )
        assert after == before
        assert len(AuditRepository(session).for_prospect(prospect_id)) == 1


def test_update_email_checks_live_uniqueness(db: Database, clock: FakeClock) -> None:
    _add(db, clock, email="taken@example.com")
    prospect_id = _add(db, clock, email="ada@example.com")
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        with pytest.raises(ConflictError):
            prospects.update(prospect_id, {"email": "TAKEN@example.com"}, origin=USER, actor=None)
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        changed = prospects.update(
            prospect_id, {"email": "Ada.L@example.com"}, origin=USER, actor=None
        )
        assert prospects.by_email("ada.l@example.com") == changed
        assert prospects.by_email("ada@example.com") is None


def test_recycled_prospects_cannot_be_edited(db: Database, clock: FakeClock) -> None:
    prospect_id = _add(db, clock, email="ada@example.com")
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.recycle(prospect_id, origin=USER, actor=None)
        with pytest.raises(ConflictError, match="recycle bin"):
            prospects.update(prospect_id, {"first_name": "X"}, origin=USER, actor=None)


def test_custom_fields_by_name_typed_and_audited(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        fields = CustomFieldRepository(session)
        fields.add("shoe_size", "Shoe size", FieldType.NUMBER)
        fields.add("birthday", "Birthday", FieldType.DATE)
        fields.add("vip", "VIP", FieldType.CHECKBOX)
        fields.add("tier", "Tier", FieldType.DROPDOWN, options=["Gold", "Silver"])
        fields.add("topics", "Topics", FieldType.MULTISELECT, options=["AI", "Web", "Data"])
        fields.add("notes_2", "More notes", FieldType.TEXT)
        prospects = ProspectRepository(session, clock)
        added = prospects.add(
            {
                "email": "ada@example.com",
                "shoe_size": "38.5",
                "birthday": "1815-12-10",
                "vip": "yes",
                "tier": "Gold",
                "topics": "AI;Data",
                "notes_2": "x" * 5000,
            },
            origin=USER,
            actor=None,
        )
        assert added.custom == {
            "shoe_size": 38.5,
            "birthday": date(1815, 12, 10),
            "vip": True,
            "tier": "Gold",
            "topics": ("AI", "Data"),
            "notes_2": "x" * 5000,
        }
        with pytest.raises(InputError, match="tier: 'Bronze' is not one of Gold, Silver"):
            prospects.update(added.id, {"tier": "Bronze"}, origin=USER, actor=None)
        from_crm = prospects.update(
            added.id,
            {"tier": "Bronze", "topics": ["Web"], "shoe_size": None},
            origin=Origin.SALESFORCE,
            actor=None,
        )
        assert from_crm.custom["tier"] == "Bronze"
        assert "shoe_size" not in from_crm.custom
        entries = {e.field: e for e in AuditRepository(session).for_prospect(added.id)}
        assert (entries["topics"].old_value, entries["topics"].new_value) == ("AI;Data", "Web")
        assert (entries["shoe_size"].old_value, entries["shoe_size"].new_value) == ("38.5", None)


def test_lookup_by_custom_value(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("tier", "Tier", FieldType.DROPDOWN, options=["Gold"])
        prospects = ProspectRepository(session, clock)
        gold = prospects.add({"email": "a@example.com", "tier": "Gold"}, origin=USER, actor=None)
        prospects.add({"email": "b@example.com"}, origin=USER, actor=None)
        assert prospects.by_custom_value("tier", "Gold") == [gold]
        with pytest.raises(InputError, match="no such custom field"):
            prospects.by_custom_value("company", "Acme")


def test_keyset_paging_walks_every_prospect_once(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(({"email": f"p{n}@example.com"} for n in range(25)), origin=USER)
        prospects.recycle(prospects.by_email("p3@example.com").id, origin=USER, actor=None)  # type: ignore[union-attr]
    seen: list[int] = []
    after: int | None = None
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        while page := prospects.list(limit=10, after_id=after):
            seen.extend(p.id for p in page)
            after = page[-1].id
        assert len(seen) == len(set(seen)) == 24 == prospects.count()
        assert seen == sorted(seen)
        assert [p.email for p in prospects.list(limit=10, recycled=True)] == ["p3@example.com"]
        assert prospects.count(recycled=True) == 1
        with pytest.raises(InputError, match="limit"):
            prospects.list(limit=0)


def test_list_by_assigned_user(db: Database, clock: FakeClock) -> None:
    from leadbridge.store import UserRepository

    with db.session() as session:
        user = UserRepository(session).add("sam@example.com", "Sam", role="sales")
        prospects = ProspectRepository(session, clock)
        ids = [
            prospects.add({"email": f"p{n}@example.com"}, origin=USER, actor=None).id
            for n in range(4)
        ]
        for prospect_id in ids[1:3]:
            prospects.assign(prospect_id, user.id, origin=USER, actor=None)
        assigned = prospects.list(limit=10, assigned_user_id=user.id)
        assert [p.id for p in assigned] == ids[1:3]


def test_by_emails_finds_ten_thousand_at_once(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        count = ProspectRepository(session, clock).bulk_insert(
            ({"email": f"Person{n}@Example.com", "last_name": f"L{n}"} for n in range(10_000)),
            origin=Origin.IMPORT,
        )
    assert count == 10_000
    wanted = [f"PERSON{n}@example.COM" for n in range(10_000)] + ["missing@example.com"]
    with db.session() as session:
        found = ProspectRepository(session, clock).by_emails(wanted)
    assert len(found) == 10_000
    assert found["person9999@example.com"].last_name == "L9999"


def test_link_and_find_by_crm_ids(db: Database, clock: FakeClock) -> None:
    first = _add(db, clock, email="a@example.com")
    second = _add(db, clock, email="b@example.com")
    synced = clock.tick()
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        linked = prospects.link_crm(
            first, lead_id="00Q000000000001AAA", owner_id="005x", synced_at=synced
        )
        assert linked.last_crm_sync_at == synced
        assert linked.updated_at != synced  # linking is not a local edit
        prospects.link_crm(second, contact_id="003000000000001AAA", account_id="001A")
        found = prospects.by_crm_ids(["00Q000000000001AAA", "003000000000001AAA", "003nope"])
        assert {crm_id: p.id for crm_id, p in found.items()} == {
            "00Q000000000001AAA": first,
            "003000000000001AAA": second,
        }
        assert found["003000000000001AAA"].crm_id == "003000000000001AAA"
        unlinked = prospects.unlink_crm(first, lead=True)
        assert unlinked.crm_lead_id is None and unlinked.crm_owner_id == "005x"


def test_bulk_insert_checks_rows_and_refuses_duplicates(db: Database, clock: FakeClock) -> None:
    _add(db, clock, email="taken@example.com")
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        with pytest.raises(InputError, match="row 2"):
            prospects.bulk_insert([{"email": "a@example.com"}, {"email": "bad"}], origin=USER)
        with pytest.raises(ConflictError, match="appears twice"):
            prospects.bulk_insert(
                [{"email": "a@example.com"}, {"email": "A@example.com"}], origin=USER
            )
    with db.session() as session, pytest.raises(ConflictError, match=r"taken@example\.com"):
        ProspectRepository(session, clock).bulk_insert(
            [{"email": "new@example.com"}, {"email": "TAKEN@example.com"}], origin=USER
        )
    with db.session() as session:
        assert ProspectRepository(session, clock).count() == 1


def test_bulk_insert_with_custom_values_and_campaigns(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("shoe_size", "Shoe size", FieldType.NUMBER)
        MarketingCampaignRepository(session).add("Spring")
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(
            [
                {"email": "a@example.com", "shoe_size": 40, "marketing_campaign": "Spring"},
                {"email": "b@example.com", "opted_out": "true"},
            ],
            origin=Origin.IMPORT,
        )
    with db.session() as session:
        found = ProspectRepository(session, clock).by_emails(["a@example.com", "b@example.com"])
    a, b = found["a@example.com"], found["b@example.com"]
    assert (a.custom, a.marketing_campaign, a.opted_out) == ({"shoe_size": 40}, "Spring", False)
    assert (b.custom, b.marketing_campaign, b.opted_out) == ({}, None, True)
    assert a.created_at == clock.now() and a.score == 0
