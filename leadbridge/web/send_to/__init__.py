"""Send to leadbridge: the page the Salesforce-side button opens (no menu entry)."""
