"""One sandbox org's whole state: schema, records, queries, bulk jobs, auth, faults, usage.

Like moto's backends, this is the object the HTTP layer and the control plane talk to. It is
built explicitly (no module-level singletons), so tests can run several orgs side by side.
"""

from __future__ import annotations

import json
import logging
import os
import random
import stat
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .auth import Authenticator, OrgCredentials, TokenStore
from .bulk import BulkJobs
from .clock import OrgClock
from .faults import FaultInjector
from .org import Org
from .pubsub.capture import ChangeCapture
from .pubsub.log import EventLog
from .pubsub.schemas import SchemaRegistry
from .pubsub.stats import RpcStats
from .query import QueryEngine
from .schema import OrgSchema, load_schema
from .storage import OrgDatabase
from .usage import DEFAULT_DAILY_ALLOWANCE, ApiUsage

DEFAULT_DATA_DIR = Path(".leadbridge/sandbox")


@dataclass(frozen=True)
class SandboxConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    memory: bool = False
    schema_file: Path | None = None
    token_lifetime: timedelta = timedelta(hours=2)
    daily_api_allowance: int = DEFAULT_DAILY_ALLOWANCE
    random_seed: int | None = None
    jwt_certificate_file: Path | None = None
    leadbridge_url: str = "http://127.0.0.1:8080"  # the record page's Send button opens it
    # Required on /__sandbox__/* (X-Sandbox-Token); off a loopback address one is made up
    # when unset (control_access.py).
    control_token: str | None = field(default=None, repr=False)
    # Pub/Sub API: an empty FetchResponse after this long without events (Salesforce: 270 s)
    pubsub_keepalive_seconds: float = 270.0


class SandboxBackend:
    def __init__(self, config: SandboxConfig) -> None:
        from .urls import build_router  # the router imports handlers that import this module

        self.config = config
        self.control_token: str | None = config.control_token
        _private_dir(config.data_dir)
        self.schema: OrgSchema = load_schema(config.schema_file)
        self.clock = OrgClock()
        db_path = None if config.memory else config.data_dir / "org.sqlite3"
        self.db = OrgDatabase(self.schema, db_path)
        self.credentials = self._load_or_make_credentials()
        self.org = Org(self.schema, self.db, self.clock, admin_username=self.credentials.username)
        self.queries = QueryEngine(self.schema, self.db, self.clock)
        self.cdc_log = EventLog(self.db, self.clock)
        self.cdc_schemas = SchemaRegistry(self.schema, self.db)
        self.cdc = ChangeCapture(self.schema, self.db, self.cdc_log, self.cdc_schemas)
        self.pubsub_stats = RpcStats()
        self.tokens = TokenStore(self.clock.now, config.token_lifetime, org_id=self.org.org_id)
        certificates = []
        if config.jwt_certificate_file:
            certificates.append(config.jwt_certificate_file.read_text(encoding="utf-8"))
        self.auth = Authenticator(
            self.credentials, self.tokens, self.org.active_user_id, self.org.org_id, certificates
        )
        self.faults = FaultInjector(random.Random(config.random_seed))
        self.bulk = BulkJobs(self.org, self.queries, self.faults)
        self.usage = ApiUsage(self.clock, config.daily_api_allowance)
        self.router = build_router()
        self.instance_url = ""

    # ------------------------------------------------------------------ credentials

    @property
    def credentials_file(self) -> Path:
        return self.config.data_dir / "credentials.json"

    def _load_or_make_credentials(self) -> OrgCredentials:
        """Keep the same secrets across restarts, so configured clients keep working."""
        try:
            saved = json.loads(self.credentials_file.read_text(encoding="utf-8"))
            return OrgCredentials(
                username=saved["username"],
                password=saved["password"],
                security_token=saved["security_token"],
                client_id=saved["client_id"],
                client_secret=saved["client_secret"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            rng = random.Random(self.config.random_seed) if self.config.random_seed else None
            return OrgCredentials.generate(rng)

    def write_credentials(
        self, instance_url: str, ca_file: Path, pubsub_endpoint: str = ""
    ) -> dict[str, str]:
        """Write `credentials.json` (owner-only permissions) and return its content."""
        self.instance_url = instance_url
        values = asdict(self.credentials)
        content = {
            "instance_url": instance_url,
            "login_url": instance_url,
            "username": values["username"],
            "password": values["password"],
            "security_token": values["security_token"],
            "client_id": values["client_id"],
            "client_secret": values["client_secret"],
            "ca_file": str(ca_file.resolve()),
        }
        if pubsub_endpoint:
            content["pubsub_endpoint"] = pubsub_endpoint
        if self.control_token:
            content["control_token"] = self.control_token
        path = self.credentials_file
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # a leftover temporary file keeps its old mode otherwise
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=2)
        temporary.replace(path)
        return content

    # ------------------------------------------------------------------ control

    def reset(self) -> None:
        """Back to an empty org: records, cursors, jobs, usage, faults, trusted IP ranges and
        change data capture (tokens and JWT certificates stay valid)."""
        self.auth.set_trusted_ip_ranges(())
        self.cdc.reset()  # before the wipe: no change events for the records it deletes
        self.db.wipe()
        self.org.ensure_bootstrap()
        self.queries.forget_all()
        self.bulk.reset()
        self.usage.configure(used=0)
        self.faults.clear()

    def start(self) -> None:
        self.bulk.start_worker()

    def close(self) -> None:
        self.bulk.stop_worker()
        self.db.close()

    def status(self) -> dict[str, Any]:
        usage = self.usage.snapshot()
        counts = {}
        with self.db.lock:
            for obj in self.schema.objects():
                row = self.db.conn.execute(
                    f'SELECT COUNT(*) FROM "{obj.name}" WHERE "IsDeleted" = 0'
                ).fetchone()
                counts[obj.name] = int(row[0])
        return {
            "org_id": self.org.org_id,
            "instance_url": self.instance_url,
            "api_usage": {"used": usage.used, "allowance": usage.allowance},
            "records": counts,
            "now": self.clock.now().isoformat(),
        }


def _private_dir(path: Path) -> None:
    """The data dir holds the org's credentials: folders made here are 0700 and the data dir
    itself is tightened to 0700 if it is looser (the sandbox imports nothing from leadbridge,
    so this is its own copy of leadbridge.private_files)."""
    missing = [level for level in (path, *path.parents) if not level.exists()]
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)
        level.chmod(0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & 0o700)
        logging.getLogger("leadbridge.sandbox").warning(
            "%s was readable by others (mode %s): tightened to 0o700", path, oct(mode)
        )
