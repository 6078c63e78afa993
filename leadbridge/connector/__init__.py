"""Connecting an org: the connector, its verification, field and user mapping."""
