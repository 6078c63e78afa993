"""Manual upload: a CSV of emails (with optional prospect field columns) into prospects linked
to their Salesforce contact or lead."""

from leadbridge.importing.csv_file import MAX_BYTES, MAX_ROWS, CsvRow, read_csv
from leadbridge.importing.report import NOT_WRITTEN, ImportSummary, Stop
from leadbridge.importing.run import import_csv

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "NOT_WRITTEN",
    "CsvRow",
    "ImportSummary",
    "Stop",
    "import_csv",
    "read_csv",
]
