"""Pure rules of leadbridge: no I/O, no framework, no Salesforce client imports."""
