"""The connector engine: moves prospects between the store and Salesforce.

It talks to the `CrmClient` port and the store's repositories only (never to
simple-salesforce or the ORM models), so the same engine runs against a real org, the
sandbox org, or a test double.

One room per feature: `push/`, `pull/`, `intake/`, `mirrors/`. Beside them, what they
share or what runs them: the connector config and per-field change times, the sync cycle,
the loop, the sync lease (`runner`) and the manual "sync with CRM".
"""

from __future__ import annotations

from leadbridge.sync.push import PushEngine, PushSummary

__all__ = ["PushEngine", "PushSummary"]
