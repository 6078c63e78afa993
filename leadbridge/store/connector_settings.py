"""The connector's settings: defaults, and parsing `connector set KEY VALUE` input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from leadbridge.errors import InputError

_TRUE = frozenset({"true", "on", "yes", "1"})
_FALSE = frozenset({"false", "off", "no", "0"})


@dataclass(frozen=True)
class ConnectorSettings:
    """Pardot's connector settings, with its defaults."""

    auto_create_prospects: bool = False  # new Salesforce leads/contacts become prospects
    apply_crm_email_changes: bool = False  # email changed in Salesforce changes the prospect's
    poll_interval_seconds: int = 120
    sync_deletes_and_merges: bool = True
    api_budget_percent: int = 50  # most of the org's daily API allowance leadbridge may use
    placeholder_company: str = "[not provided]"  # for leads created without a company
    bulk_threshold: int = 10_000  # records above which sync uses Bulk API 2.0
    # Take changes from Salesforce's Change Data Capture stream when the org publishes Lead
    # and Contact changes; polling otherwise, and whenever the stream is down
    change_data_capture: bool = True


SETTING_NAMES = tuple(f.name for f in fields(ConnectorSettings))


def _boolean(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise InputError(f"{key} must be true or false, not {raw!r}", item=key)
    return value in _TRUE


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", "").replace(",", ""))
        except ValueError:
            raise InputError(f"{key} must be a whole number, not {raw!r}", item=key) from None
        if not low <= value <= high:
            raise InputError(f"{key} must be between {low} and {high}", item=key)
        return value

    return parse


def _text(key: str, raw: str) -> str:
    value = raw.strip()
    if not 1 <= len(value) <= 255:
        raise InputError(f"{key} must be 1 to 255 characters", item=key)
    return value


_PARSERS: dict[str, Callable[[str, str], bool | int | str]] = {
    "auto_create_prospects": _boolean,
    "apply_crm_email_changes": _boolean,
    "poll_interval_seconds": _whole(5, 3600),
    "sync_deletes_and_merges": _boolean,
    "api_budget_percent": _whole(1, 100),
    "placeholder_company": _text,
    "bulk_threshold": _whole(1, 10_000_000),
    "change_data_capture": _boolean,
}


def parse_setting(key: str, raw: str) -> bool | int | str:
    """The typed value for `key`, or InputError saying what the setting accepts."""
    parser = _PARSERS.get(key)
    if parser is None:
        raise InputError(
            f"no setting {key!r}; the settings are {', '.join(SETTING_NAMES)}", item="setting"
        )
    return parser(key, raw)
