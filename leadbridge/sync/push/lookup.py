"""Reading Salesforce for one wave: linked records by id, the others matched by email.

Per wave: one retrieve per object for linked prospects (2,000 ids a call), then one email
lookup over contacts and one over unconverted leads for the rest (the client packs up to
five IN statements in one call). Never one call per prospect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from leadbridge.domain.emails import email_key
from leadbridge.domain.matching import CONTACT, LEAD, Match, match
from leadbridge.ports import CrmClient, CrmRecord
from leadbridge.sync.config import PushConfig
from leadbridge.sync.push.inputs import Candidate

UNCONVERTED = "IsConverted = false"


@dataclass(frozen=True)
class Found:
    """Where one prospect goes: the record to update (None: create a lead), how it was
    found, and whether it replaces the record the prospect was linked to."""

    match: Match
    how: str  # "linked", "contact", "lead", "create" or "missing"
    relinked: bool = False  # a converted lead's prospect now goes to its contact


class Lookup:
    def __init__(self, crm: CrmClient, config: PushConfig) -> None:
        self.crm = crm
        self.config = config

    def find(self, candidates: Sequence[Candidate]) -> dict[int, Found]:
        """Where each candidate goes, by prospect id."""
        found = self._linked([c for c in candidates if c.prospect.crm_id is not None])
        found.update(self._matched([c for c in candidates if c.prospect.crm_id is None]))
        return found

    def _linked(self, candidates: Sequence[Candidate]) -> dict[int, Found]:
        by_object: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in candidates:
            object_name = CONTACT if candidate.prospect.crm_contact_id else LEAD
            by_object[object_name].append(candidate)
        records = {
            object_name: self._retrieve(object_name, [self._id(c, object_name) for c in group])
            for object_name, group in by_object.items()
        }
        found: dict[int, Found] = {}
        converted: dict[int, str] = {}
        for object_name, group in by_object.items():
            for candidate in group:
                record = records[object_name].get(self._id(candidate, object_name))
                if record is None:
                    found[candidate.prospect.id] = Found(Match(object_name), "missing")
                elif (
                    object_name == LEAD
                    and record.get("IsConverted")
                    and record.get("ConvertedContactId")
                ):
                    converted[candidate.prospect.id] = str(record["ConvertedContactId"])
                else:
                    found[candidate.prospect.id] = Found(Match(object_name, record), "linked")
        if converted:
            contacts = self._retrieve(CONTACT, list(converted.values()))
            for prospect_id, contact_id in converted.items():
                contact = contacts.get(contact_id)
                how = "linked" if contact is not None else "missing"
                found[prospect_id] = Found(Match(CONTACT, contact), how, relinked=True)
        return found

    @staticmethod
    def _id(candidate: Candidate, object_name: str) -> str:
        prospect = candidate.prospect
        crm_id = prospect.crm_contact_id if object_name == CONTACT else prospect.crm_lead_id
        assert crm_id is not None
        return crm_id

    def _retrieve(self, object_name: str, ids: Sequence[str]) -> dict[str, CrmRecord]:
        if not ids:
            return {}
        fields = self.config.read_fields(object_name)
        return {str(r["Id"]): r for r in self.crm.retrieve(object_name, ids, fields)}

    def _matched(self, candidates: Sequence[Candidate]) -> dict[int, Found]:
        if not candidates:
            return {}
        emails = [c.prospect.email for c in candidates]
        contacts = self._by_email(CONTACT, emails)
        rest = [email for email in emails if email_key(email) not in contacts]
        leads = self._by_email(LEAD, rest, where=UNCONVERTED) if rest else {}
        key_field = self.config.key_field
        found: dict[int, Found] = {}
        for candidate in candidates:
            email = candidate.prospect.email_key
            chosen = match(
                contacts.get(email, []),
                leads.get(email, []),
                key_field=key_field,
                key=candidate.key,
            )
            how = "create" if chosen.creates else chosen.object_name.lower()
            found[candidate.prospect.id] = Found(chosen, how)
        return found

    def _by_email(
        self, object_name: str, emails: Sequence[str], *, where: str | None = None
    ) -> dict[str, list[CrmRecord]]:
        fields = self.config.read_fields(object_name)
        grouped: dict[str, list[CrmRecord]] = defaultdict(list)
        for record in self.crm.find_by_emails(object_name, emails, fields, where=where):
            if record.get("Email"):
                grouped[email_key(str(record["Email"]))].append(record)
        return grouped
