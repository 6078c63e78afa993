"""Describe results (describeGlobal, sObject basic info, sObject describe) built from the schema."""

from __future__ import annotations

from typing import Any

from .schema import FieldDef, ObjectDef, OrgSchema

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
}


def _urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def object_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    """The per-object entry of describeGlobal (also `objectDescribe` in basic info)."""
    return {
        "activateable": False,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.mergeable,
        "mruEnabled": True,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": obj.deletable,
        "updateable": obj.updateable,
        "urls": _urls(obj, version),
    }


def describe_global(schema: OrgSchema, version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(obj, version) for obj in schema.objects()],
    }


def describe_field(field: FieldDef) -> dict[str, Any]:
    text = field.is_text
    return {
        "aggregatable": field.type not in {"textarea", "multipicklist"},
        "autoNumber": False,
        "byteLength": field.length * 3 if text else 0,
        "calculated": field.calculated,
        "calculatedFormula": field.formula,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": field.createable,
        "custom": field.custom,
        "defaultValue": field.default if field.type != "boolean" else bool(field.default),
        "defaultValueFormula": None,
        "defaultedOnCreate": field.defaulted_on_create or field.type == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": field.precision if field.type == "int" else 0,
        "externalId": field.external_id,
        "filterable": field.type not in {"textarea", "multipicklist"},
        "groupable": field.type not in {"textarea", "double", "currency", "percent"},
        "htmlFormatted": False,
        "idLookup": field.id_lookup,
        "inlineHelpText": None,
        "label": field.label,
        "length": field.length if text else 0,
        "name": field.name,
        "nameField": field.name == "Name",
        "namePointing": False,
        "nillable": field.nillable or field.name == "Id",
        "permissionable": field.custom and field.nillable,
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == field.default_picklist_value,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in field.picklist_values
        ],
        "polymorphicForeignKey": len(field.reference_to) > 1,
        "precision": field.precision if field.type in {"double", "currency", "percent"} else 0,
        "referenceTargetField": None,
        "referenceTo": sorted(field.reference_to),  # Salesforce: ["Group", "User"]
        "relationshipName": field.relationship_name if field.type == "reference" else None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": field.restricted_picklist,
        "scale": field.scale if field.type in {"double", "currency", "percent"} else 0,
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"),
        "sortable": field.type not in {"textarea", "multipicklist"},
        "type": field.type,
        "unique": field.unique,
        "updateable": field.updateable,
        "writeRequiresMasterRead": False,
    }


def describe_object(schema: OrgSchema, obj: ObjectDef, version: str) -> dict[str, Any]:
    result = object_summary(obj, version)
    result.update(
        {
            "actionOverrides": [],
            "childRelationships": [
                {
                    "cascadeDelete": False,
                    "childSObject": child,
                    "deprecatedAndHidden": False,
                    "field": field_name,
                    "relationshipName": relationship,
                    "restrictedDelete": False,
                }
                for child, field_name, relationship in obj.child_relationships
            ],
            "compactLayoutable": True,
            "fields": [describe_field(field) for field in obj.iter_fields()],
            "namedLayoutInfos": [],
            "recordTypeInfos": [],
            "searchLayoutable": True,
            "supportedScopes": [{"label": "All", "name": "everything"}],
        }
    )
    result["urls"] = {
        **_urls(obj, version),
        "layouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts",
    }
    return result
