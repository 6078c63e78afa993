"""Connecting an org: store the connector, verify it, map fields and users.

Each public method is one unit of work: it reads and writes the store in one transaction and
calls Salesforce in batches through the `CrmClient` port.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from leadbridge.connector.default_fields import is_default_field, set_default_behaviour
from leadbridge.connector.fields import check_mappable
from leadbridge.connector.schema_codec import object_from_json, object_to_json
from leadbridge.connector.verify import (
    VerifyReport,
    account_mappings,
    check_leadbridge_fields,
    default_mapping_problems,
    default_mappings,
    describe_org,
)
from leadbridge.domain.fields import FieldType, SyncBehaviour
from leadbridge.errors import (
    ConfigurationError,
    ConflictError,
    CrmError,
    InputError,
    NotFoundError,
)
from leadbridge.marketing.users import list_users, user_json
from leadbridge.ports import Clock, CrmClient, CrmObject, CrmUser, change_stream_of
from leadbridge.salesforce.credentials import CrmCredentials, from_sandbox_file
from leadbridge.store.auto_create import LOCAL_MARGIN, SWITCH_ON_MARGIN, AutoCreateState
from leadbridge.store.change_streams import ChangeStreamRepository
from leadbridge.store.connector import ConnectorConfig, ConnectorRepository, ConnectorSecrets
from leadbridge.store.connector_settings import ConnectorSettings, parse_setting
from leadbridge.store.connector_status import record_crm_users, record_verify
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.field_mappings import FieldMapping, FieldMappingRepository
from leadbridge.store.models import AuthFlow, Edition
from leadbridge.store.queues import record_queues
from leadbridge.store.secret_box import Secret, SecretBox
from leadbridge.store.user_matching import match_crm_users
from leadbridge.store.users import UserRepository

ClientFactory = Callable[[CrmCredentials, ConnectorSettings], CrmClient]


@dataclass
class UserSyncReport:
    matched: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, str]] = field(default_factory=list)
    already_mapped: list[dict[str, str]] = field(default_factory=list)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    seen: int = 0  # active Salesforce users read


@dataclass(frozen=True)
class _SwitchOn:
    """When auto-create was switched on; on leadbridge's clock when not `org_clock`."""

    at: datetime
    org_clock: bool
    note: str = ""


def _edition(value: str) -> Edition:
    try:
        return Edition(value.strip().lower())
    except ValueError:
        choices = ", ".join(edition.value for edition in Edition)
        reason = f"unknown edition; expected one of {choices}"
        raise InputError(reason, item=f"edition {value!r}") from None


class ConnectorService:
    def __init__(
        self, db: Database, clock: Clock, client_factory: ClientFactory, secret_box: SecretBox
    ) -> None:
        self.db = db
        self.clock = clock
        self._client_factory = client_factory
        self._box = secret_box
        self._client: CrmClient | None = None

    def _connector(self, session: Any) -> ConnectorRepository:
        return ConnectorRepository(session, self._box)

    # ------------------------------------------------------------------ the connector

    def add_sandbox(self, data_dir: Path, *, edition: str = "advanced") -> dict[str, Any]:
        return self.add(from_sandbox_file(data_dir), edition=edition)

    def add(self, credentials: CrmCredentials, *, edition: str = "plus") -> dict[str, Any]:
        """Store the connector; a new one starts paused, a replaced one keeps its state."""
        secrets = ConnectorSecrets(
            **{
                name: Secret(value)
                for name in ("client_secret", "password", "security_token", "private_key")
                if (value := getattr(credentials, name))
            }
        )
        with self.db.session() as session:
            repo = self._connector(session)
            existing = repo.get()
            config = ConnectorConfig(
                login_url=credentials.login_url,
                auth_flow=AuthFlow(credentials.flow),
                username=credentials.username,
                client_id=credentials.client_id,
                ca_file=credentials.ca_file,
                pubsub_endpoint=credentials.pubsub_endpoint,
                edition=_edition(edition),
                paused=existing.paused if existing else True,
            )
            repo.save(config, secrets)
            self._client = None
            return repo.describe()

    def has_connector(self) -> bool:
        with self.db.session() as session:
            return self._connector(session).get() is not None

    def show(self) -> dict[str, Any]:
        with self.db.session() as session:
            connector = self._require(self._connector(session))
            described = connector.describe()
            state = ChangeStreamRepository(session, self.clock).get()
            described["changes"] = {
                **state.as_dict(),
                "how": state.sentence(connector.settings().poll_interval_seconds),
            }
            return described

    def set(self, key: str, value: str) -> dict[str, Any]:
        """Change a setting. Switching `auto_create_prospects` on records the switch-on time
        on Salesforce's clock in the same transaction (the next cycle takes the leads and
        contacts created since); when the org cannot be reached it is recorded on leadbridge's
        clock and converted at the next cycle, and the reply says so in `note`."""
        switch_on = self._switch_on_time() if self._switches_on(key, value) else None
        with self.db.session() as session:
            repo = self._require(self._connector(session))
            was_on = repo.settings().auto_create_prospects
            now_on = repo.set_setting(key, value).auto_create_prospects
            state = AutoCreateState(repo)
            if now_on and not was_on:
                switch_on = switch_on or self._switch_on_time(reachable=False)
                state.switched_on(switch_on.at, org_clock=switch_on.org_clock, now=self.clock.now())
            elif was_on and not now_on:
                state.switched_off(self.clock.now())
            described = repo.describe()
        if now_on and not was_on and switch_on is not None and switch_on.note:
            described["note"] = switch_on.note
        return described

    def _switches_on(self, key: str, value: str) -> bool:
        if key != "auto_create_prospects" or parse_setting(key, value) is not True:
            return False
        with self.db.session(readonly=True) as session:
            repo = self._require(self._connector(session))
            return not repo.settings().auto_create_prospects

    def _switch_on_time(self, *, reachable: bool = True) -> _SwitchOn:
        """Salesforce's now less a margin for the estimate's precision; leadbridge's own clock
        when the org cannot be reached.

        A client of its own logs in (no API call) so the org's clock is read afresh: a
        long-lived client's estimate dates from its last reply, and either clock may have
        moved since."""
        problem = "Salesforce was not asked (the setting changed meanwhile)"
        if reachable:
            try:
                return _SwitchOn(self._fresh_server_now() - SWITCH_ON_MARGIN, True)
            except CrmError as error:
                problem = f"Salesforce could not be reached ({error})"
        note = (
            f"{problem}: the switch-on time is on leadbridge's clock for now; the next sync "
            "cycle converts it to Salesforce's clock and takes the leads and contacts created "
            f"since (and up to {int(LOCAL_MARGIN.total_seconds() // 60)} minutes before)"
        )
        return _SwitchOn(self.clock.now(), False, note)

    def set_paused(self, paused: bool) -> dict[str, Any]:
        with self.db.session() as session:
            repo = self._require(self._connector(session))
            if paused:
                repo.pause()
            else:
                repo.resume()
            return repo.describe()

    @staticmethod
    def _require(repo: ConnectorRepository) -> ConnectorRepository:
        if repo.get() is None:
            raise ConfigurationError(
                "no connector yet: run `leadbridge connector add --sandbox` or "
                "`leadbridge connector add --login-url …` first"
            )
        return repo

    def credentials(self) -> CrmCredentials:
        with self.db.session() as session:
            repo = self._require(self._connector(session))
            config = repo.get()
            assert config is not None
            secrets = repo.secrets()
        return CrmCredentials(
            login_url=config.login_url,
            flow=config.auth_flow.value,
            username=config.username,
            client_id=config.client_id,
            ca_file=config.ca_file,
            pubsub_endpoint=config.pubsub_endpoint,
            **{name: secret.reveal() for name, secret in secrets.given().items()},
        )

    def client(self) -> CrmClient:
        if self._client is None:
            credentials = self.credentials()
            with self.db.session(readonly=True) as session:
                settings = self._connector(session).settings()
            self._client = self._client_factory(credentials, settings)
        return self._client

    def _fresh_server_now(self) -> datetime:
        credentials = self.credentials()
        with self.db.session(readonly=True) as session:
            settings = self._connector(session).settings()
        client = self._client_factory(credentials, settings)
        try:
            return client.server_now()
        finally:
            client.close()

    # ------------------------------------------------------------------ verify

    def verify(self) -> VerifyReport:
        report = VerifyReport()
        with self.db.session() as session:
            config = self._require(self._connector(session)).get()
            assert config is not None
            edition = config.edition
        described = describe_org(
            self.client(), custom_objects_allowed=edition != "standard", report=report
        )
        self._change_data_capture(described, report)
        now = self.clock.now()
        with self.db.session() as session:
            connector = self._connector(session)
            if report.change_data_capture is not None:
                ChangeStreamRepository(session, self.clock).set_selected(report.change_data_capture)
            for name, obj in described.items():
                connector.save_schema(name, object_to_json(obj), now)
            self._default_mappings(FieldMappingRepository(session), described, report)
            check_leadbridge_fields(described, report)
            if report.ok:
                connector.mark_verified(now)
            instance = getattr(self.client(), "instance", None)
            record_verify(
                connector,
                ok=report.ok,
                problems=report.problems,
                at=now,
                instance=instance if isinstance(instance, str) else None,
            )
        return report

    def _change_data_capture(self, described: dict[str, CrmObject], report: VerifyReport) -> None:
        """Which objects the org publishes change events for (Setup > Change Data Capture):
        with Lead and Contact among them, the connector streams their changes."""
        try:
            stream = change_stream_of(self.client(), described)
            if stream is None:
                return
            try:
                report.change_data_capture = sorted(stream.selected_objects())
            finally:
                stream.close()
        except CrmError as error:
            report.change_data_capture_note = (
                f"could not tell whether Change Data Capture is on ({error.error_code}): "
                "changes arrive by polling"
            )

    def _default_mappings(
        self,
        mappings: FieldMappingRepository,
        described: dict[str, CrmObject],
        report: VerifyReport,
    ) -> None:
        from leadbridge.connector.verify import MappingOutcome

        lead, contact = described.get("Lead"), described.get("Contact")
        account = described.get("Account")
        for default in default_mappings():
            lead_field, contact_field, problems = default_mapping_problems(
                default, lead, contact, account
            )
            report.problems.extend(problems)
            existing = mappings.get(default.field)
            # The administrator's choice (`leadbridge fields map`) stays; new mappings
            # start with Pardot's default.
            behaviour = default.behaviour if existing is None else existing.behaviour
            created = existing is None
            if lead_field or contact_field or existing is not None:
                mappings.upsert(
                    default.field,
                    lead_field=lead_field,
                    contact_field=contact_field,
                    behaviour=SyncBehaviour(behaviour),
                    # An administrator's behaviour and blank rule stay through every verify.
                    blank_overwrites=existing.blank_overwrites if existing else False,
                    is_default=existing is None or existing.is_default,
                )
            report.mappings.append(
                MappingOutcome(default.field, lead_field, contact_field, str(behaviour), created)
            )
        for ours, theirs in account_mappings(account):
            mappings.upsert_account(ours, theirs)
            report.account_mappings.append((ours, theirs))

    def _schema(self, session: Any, object_name: str) -> CrmObject:
        stored = self._connector(session).schema(object_name)
        if stored is None:
            raise ConfigurationError(
                f"leadbridge does not know the org's {object_name} fields yet: run "
                "`leadbridge connector verify` first"
            )
        return object_from_json(stored)

    # ------------------------------------------------------------------ custom fields

    def add_field(
        self,
        name: str,
        *,
        label: str | None,
        field_type: FieldType,
        options: list[str],
        crm_field: str | None,
        behaviour: SyncBehaviour,
        picklist_values: bool = False,
    ) -> dict[str, Any]:
        """Create a custom field, mapped at once when `crm_field` is given (all or nothing)."""
        with self.db.session() as session:
            fields = CustomFieldRepository(session)
            fields.add(name, label or name.replace("_", " ").title(), field_type, options)
            if crm_field:
                self._map(session, name, crm_field, behaviour, picklist_values)
            return _field_json(fields.get_by_name(name), FieldMappingRepository(session))

    def map_field(
        self,
        name: str,
        crm_field: str | None,
        *,
        behaviour: SyncBehaviour | None,
        picklist_values: bool = False,
    ) -> dict[str, Any]:
        """Map a custom field to `crm_field` (its behaviour by default "use Salesforce's
        value"), or change a default field's sync behaviour (`crm_field` then may be left
        out; see connector/default_fields.py)."""
        if is_default_field(name):
            if picklist_values:
                raise InputError(
                    "only custom dropdown and multiselect fields take picklist values",
                    item=f"field {name}",
                )
            with self.db.session() as session:
                mapping = set_default_behaviour(
                    FieldMappingRepository(session), name, crm_field, behaviour
                )
                return _default_field_json(mapping)
        if not crm_field:
            raise InputError(
                "give the Salesforce field's API name to map a custom field to", item=name
            )
        with self.db.session() as session:
            self._map(
                session, name, crm_field, behaviour or SyncBehaviour.USE_SALESFORCE, picklist_values
            )
            return _field_json(
                CustomFieldRepository(session).get_by_name(name), FieldMappingRepository(session)
            )

    def _map(
        self,
        session: Any,
        name: str,
        crm_field: str,
        behaviour: SyncBehaviour,
        picklist_values: bool,
    ) -> None:
        fields = CustomFieldRepository(session)
        mappings = FieldMappingRepository(session)
        definition = fields.find(name)
        if definition is None:
            raise NotFoundError(
                f"no custom field named {name!r}: add it with `leadbridge fields add`"
            )
        lead, contact = self._schema(session, "Lead"), self._schema(session, "Contact")
        taken = mappings.by_crm_field("Lead", crm_field) or mappings.by_crm_field(
            "Contact", crm_field
        )
        mappable = check_mappable(
            name,
            FieldType(definition.type),
            crm_field,
            lead,
            contact,
            taken.field_name if taken else None,
        )
        if picklist_values:
            if FieldType(definition.type) not in {FieldType.DROPDOWN, FieldType.MULTISELECT}:
                raise InputError(
                    "only dropdown and multiselect fields take picklist values",
                    item=f"field {name}",
                )
            fields.set_options(name, list(mappable.picklist_values))
        fields.set_crm_field(name, mappable.api_name)
        mappings.upsert(
            name, lead_field=mappable.api_name, contact_field=mappable.api_name, behaviour=behaviour
        )

    def list_fields(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            mappings = FieldMappingRepository(session)
            return [_field_json(item, mappings) for item in CustomFieldRepository(session).list()]

    def list_mappings(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            return [
                {
                    "field": m.field_name,
                    "lead_field": m.lead_field,
                    "contact_field": m.contact_field,
                    "behaviour": str(m.behaviour),
                    "blank_overwrites": m.blank_overwrites,
                    "default": m.is_default,
                }
                for m in FieldMappingRepository(session).list()
            ]

    # ------------------------------------------------------------------ users

    def sync_users(self, *, create: bool = False) -> UserSyncReport:
        """Match active Salesforce users to leadbridge users by email (one batch query)."""
        client = self.client()
        crm_users = client.users(active_only=True)
        queues = client.queues()  # the owners that are no users: their names, for display
        with self.db.session() as session:
            record_queues(session, queues, self.clock.now())
            match = match_crm_users(UserRepository(session), crm_users, create=create)
            # Kept for the console, which maps users by hand from this list.
            record_crm_users(
                self._connector(session), map(_crm_user_entry, crm_users), self.clock.now()
            )
        return UserSyncReport(
            matched=[_crm_user_entry(user) for user in match.matched],
            created=[_crm_user_entry(user) for user in match.created],
            already_mapped=[_crm_user_entry(user) for user in match.already_mapped],
            unmatched=[_crm_user_entry(user) for user in match.unmatched],
            conflicts=match.conflicts,
            seen=len(crm_users),
        )

    def map_user(self, email: str, crm_username: str) -> dict[str, Any]:
        crm_user = next(
            (
                u
                for u in self.client().users(active_only=False)
                if u.username.lower() == crm_username.strip().lower()
            ),
            None,
        )
        if crm_user is None:
            raise NotFoundError(f"Salesforce has no user with the username {crm_username!r}")
        if not crm_user.active:
            raise InputError(f"the Salesforce user {crm_username} is inactive", item="crm username")
        with self.db.session() as session:
            users = UserRepository(session)
            local = users.by_email(email)
            if local is None:
                raise NotFoundError(f"no leadbridge user with the email {email!r}")
            holder = users.by_crm_user_id(crm_user.id)
            if holder is not None and holder.id != local.id:
                raise ConflictError(f"{crm_username} is already mapped to {holder.email}")
            users.map_crm_user(local.id, crm_user.id, crm_user.username)
            mapped = users.get(local.id)
            return user_json(mapped)

    def add_user(self, email: str, name: str, role: str) -> dict[str, Any]:
        with self.db.session() as session:
            return user_json(UserRepository(session).add(email, name, role=role))

    def list_users(self) -> list[dict[str, Any]]:
        return list_users(self.db)


def _default_field_json(mapping: FieldMapping) -> dict[str, Any]:
    """A default field's mapping in the shape of a custom field's (`_field_json`)."""
    return {
        "name": mapping.field_name,
        "default": True,
        "lead_field": mapping.lead_field,
        "contact_field": mapping.contact_field,
        "crm_field": mapping.lead_field or mapping.contact_field,
        "behaviour": str(mapping.behaviour),
        "blank_overwrites": mapping.blank_overwrites,
    }


def _crm_user_entry(user: CrmUser) -> dict[str, str]:
    return {"id": user.id, "email": user.email, "crm_username": user.username, "name": user.name}


def _field_json(definition: Any, mappings: FieldMappingRepository) -> dict[str, Any]:
    mapping = mappings.get(definition.name)
    return {
        "name": definition.name,
        "label": definition.label,
        "type": str(definition.type),
        "options": list(definition.options),
        "crm_field": definition.crm_field,
        "behaviour": str(mapping.behaviour) if mapping else None,
    }
