"""Errors the sandbox org raises, carrying Salesforce's errorCode, message, fields and HTTP status.

The state layer raises these; the HTTP layer renders them in whichever envelope the resource uses
(REST array with `errorCode`, sObject Collections item with `statusCode`, SOAP fault, Bulk CSV).
"""

from __future__ import annotations

from typing import Any


class SalesforceError(Exception):
    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        status: int = 400,
        fields: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.status = status
        self.fields = fields
        self.extra = extra or {}

    def rest_item(self) -> dict[str, Any]:
        """One element of the REST error array."""
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        item.update(self.extra)
        return item

    def rest_body(self) -> list[dict[str, Any]]:
        return [self.rest_item()]

    def collection_item(self) -> dict[str, Any]:
        """The error shape inside sObject Collections and sObject Tree results."""
        item: dict[str, Any] = {
            "statusCode": self.error_code,
            "message": self.message,
            "fields": self.fields or [],
        }
        item.update(self.extra)
        return item


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    return SalesforceError("NOT_FOUND", message, status=404)


def invalid_type(name: str) -> SalesforceError:
    return SalesforceError(
        "INVALID_TYPE",
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names.",
    )


def invalid_field_in_query(field_name: str, object_name: str) -> SalesforceError:
    return SalesforceError(
        "INVALID_FIELD",
        f"No such column '{field_name}' on entity '{object_name}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. Please reference "
        "your WSDL or the describe call for the appropriate names.",
    )


def invalid_field_on_sobject(field_name: str, object_name: str) -> SalesforceError:
    return SalesforceError(
        "INVALID_FIELD",
        f"No such column '{field_name}' on sobject of type {object_name}",
        fields=[],
    )


def entity_is_deleted() -> SalesforceError:
    return SalesforceError("ENTITY_IS_DELETED", "entity is deleted", status=404, fields=[])
