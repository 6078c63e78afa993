"""The sandbox org in its own process (sync children are forked from the soak process, so the
org must not be a thread of it), and the soak's HTTP view of it: control plane and admin reads."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from leadbridge.sandbox.server import free_port


def _serve(data_dir: Path, port: int, seed: int, schema_file: Path | None) -> None:
    """The org process: serve until SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    config = SandboxConfig(
        data_dir=data_dir, memory=True, random_seed=seed, schema_file=schema_file
    )
    with SandboxServer(config, port=port):
        while True:
            time.sleep(3600)


class SoakOrg:
    """A sandbox org process, its control plane, and reads as the admin (for the comparison)."""

    def __init__(self, data_dir: Path, seed: int, *, fresh: bool = False) -> None:
        """`fresh`: an org without leadbridge's fields (no upsert key, no score) and without
        duplicate rules, as a new customer's org is."""
        self.data_dir = data_dir
        self.fresh = fresh
        schema_file = FRESH_ORG_SCHEMA_FILE if fresh else None
        self.port = free_port()
        (data_dir / "credentials.json").unlink(missing_ok=True)
        context = multiprocessing.get_context("fork")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.process = context.Process(
            target=_serve,
            args=(data_dir, self.port, seed, schema_file),
            name="soak-org",
            daemon=True,
        )
        self.process.start()
        self.instance_url = f"https://localhost:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False
        self._token: str | None = None
        self.fired: Counter[str] = Counter()  # faults injected, by kind, over the whole soak
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        credentials = self.data_dir / "credentials.json"
        while time.monotonic() < deadline:
            if credentials.exists() and self.process.is_alive():
                self.credentials: dict[str, str] = json.loads(credentials.read_text())
                self.http.verify = self.credentials["ca_file"]
                try:
                    self.control("GET", "")
                    return
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RuntimeError("the sandbox org process did not start")

    def stop(self) -> None:
        if self.process.is_alive() and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGTERM)
        self.process.join(timeout=10)

    # ------------------------------------------------------------------ control plane

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, f"{self.instance_url}/__sandbox__{path}", json=body, timeout=60
        )
        if response.status_code >= 400:
            raise RuntimeError(f"control {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def set_faults(self, rules: dict[str, dict[str, Any]], seed: int) -> None:
        """Replace the fault rules (counting what the old ones fired first); their random
        draws start from `seed`, so a replayed run draws the same sequence."""
        self.faults_off()
        self.control("POST", "/faults", {"seed": seed})
        for kind, rule in rules.items():
            self.control("POST", "/faults", {"kind": kind, **rule})

    def faults_off(self) -> None:
        for rule in self.control("GET", "/faults")["faults"]:
            self.fired[rule["kind"]] += int(rule["fired"])
        self.control("DELETE", "/faults")

    def reset(self) -> None:
        self.faults_off()
        self.control("POST", "/reset")
        self.control("POST", "/tokens", {"lifetime_seconds": 7200})
        self._token = None

    # ------------------------------------------------------------------ admin reads (faults off)

    def _bearer(self) -> str:
        if self._token is None:
            creds = self.credentials
            response = self.http.post(
                f"{self.instance_url}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                },
                timeout=60,
            )
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a query; only called with the faults off."""
        url = f"{self.instance_url}/services/data/v59.0/query"
        params: dict[str, str] | None = {"q": soql}
        records: list[dict[str, Any]] = []
        while True:
            response = self.http.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {self._bearer()}"},
                timeout=60,
            )
            if response.status_code == 401:
                self._token = None
                continue
            response.raise_for_status()
            page = response.json()
            records.extend(page["records"])
            if page.get("done", True):
                return records
            url, params = f"{self.instance_url}{page['nextRecordsUrl']}", None
