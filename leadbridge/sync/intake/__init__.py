"""The intake: new Salesforce leads and contacts (send-to, auto-create, CSV rows) as prospects."""

from __future__ import annotations

from leadbridge.sync.intake.apply import AfterChange, Intake, Known, NewProspect, Source
from leadbridge.sync.intake.engine import auto_create_runner, auto_create_step, send_to_leadbridge
from leadbridge.sync.intake.report import (
    CREATED,
    ERROR,
    LINKED,
    RESTORED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    IntakeOutcome,
    IntakeSummary,
)
from leadbridge.sync.intake.values import read_fields

__all__ = [
    "CREATED",
    "ERROR",
    "LINKED",
    "RESTORED",
    "SKIPPED",
    "UNCHANGED",
    "UPDATED",
    "AfterChange",
    "Intake",
    "IntakeOutcome",
    "IntakeSummary",
    "Known",
    "NewProspect",
    "Source",
    "auto_create_runner",
    "auto_create_step",
    "read_fields",
    "send_to_leadbridge",
]
