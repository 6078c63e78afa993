"""leadbridge: keeps a marketing database in two-way sync with Salesforce."""

__version__ = "0.1.0"
