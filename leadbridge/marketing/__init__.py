"""The marketing side of leadbridge: prospects and their people, independent of Salesforce."""
