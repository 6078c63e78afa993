"""The same external id twice in one upsert call: Salesforce fails every record that carries it.

Salesforce matches all the records of one upsert call against the org at once, so two records
with one external id could both be "new" and would make two records with the same key. It
refuses them instead: each such record fails with `DUPLICATE_VALUE`, "Duplicate external id
specified: VALUE", and the others of the call are saved as usual. sObject Collections upsert
checks the whole call (at most 200 records); Bulk API 2.0 checks each chunk of records it saves
together (`bulk.CHUNK`), so a key repeated in two chunks is applied twice, in turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .exceptions import SalesforceError


def external_key(value: object) -> str:
    """An external id as the org matches it: text compared case-insensitively."""
    return str(value).strip().lower()


def repeated_keys(values: Iterable[object]) -> set[str]:
    """The external ids given more than once (blank ones aside), as `external_key` spells them."""
    counts = Counter(
        external_key(value) for value in values if value is not None and str(value).strip()
    )
    return {key for key, count in counts.items() if count > 1}


def duplicate_external_id(field_name: str, value: object) -> SalesforceError:
    return SalesforceError(
        "DUPLICATE_VALUE", f"Duplicate external id specified: {value}", fields=[field_name]
    )
