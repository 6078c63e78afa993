"""The Salesforce metadata the repository ships for leadbridge's fields (salesforce-metadata/)
matches the sandbox's default schema, field by field, so the two cannot drift: what the
suite tests against is what an administrator deploys."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadbridge.connector.org_fields import leadbridge_fields
from leadbridge.sandbox.schema import DEFAULT_SCHEMA_FILE

ROOT = Path(__file__).parents[3] / "salesforce-metadata"
OBJECTS = ROOT / "force-app" / "main" / "default" / "objects"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}
# Salesforce metadata type → the sandbox schema's type.
TYPES = {"Text": "string", "Number": "double"}


def _metadata(path: Path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{NS['md']}}}CustomField", path
    return {child.tag.split("}")[1]: (child.text or "") for child in root}


def _sandbox_fields() -> dict[tuple[str, str], dict[str, Any]]:
    schema = yaml.safe_load(DEFAULT_SCHEMA_FILE.read_text())["objects"]
    return {
        (obj, name): spec
        for obj in ("Lead", "Contact")
        for name, spec in schema[obj]["fields"].items()
        if name.startswith("LeadBridge_")
    }


SHIPPED = sorted(OBJECTS.glob("*/fields/*.field-meta.xml"))


def test_every_leadbridge_field_is_shipped_and_nothing_else() -> None:
    shipped = {(p.parents[1].name, p.name.removesuffix(".field-meta.xml")) for p in SHIPPED}
    assert shipped == set(leadbridge_fields()) == set(_sandbox_fields())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parents[1].name}.{p.name[:-15]}")
def test_shipped_field_matches_the_sandbox_schema(path: Path) -> None:
    meta = _metadata(path)
    object_name, name = path.parents[1].name, path.name.removesuffix(".field-meta.xml")
    spec = _sandbox_fields()[(object_name, name)]
    assert meta["fullName"] == name
    assert meta["label"] == spec["label"]
    assert TYPES[meta["type"]] == spec["type"]
    assert meta.get("length") == (str(spec["length"]) if "length" in spec else None)
    assert meta.get("precision") == (str(spec["precision"]) if "precision" in spec else None)
    assert meta.get("scale") == (str(spec["scale"]) if "scale" in spec else None)
    assert (meta["externalId"] == "true") == bool(spec.get("external_id"))
    assert (meta.get("unique") == "true") == bool(spec.get("unique"))
    assert meta["required"] == "false"  # leadbridge writes them; nobody else must


def test_the_permission_set_grants_edit_on_every_shipped_field() -> None:
    path = OBJECTS.parent / "permissionsets" / "LeadBridge_Connector.permissionset-meta.xml"
    granted = {
        perm.findtext("md:field", namespaces=NS): perm.findtext("md:editable", namespaces=NS)
        for perm in ET.parse(path).getroot().findall("md:fieldPermissions", NS)
    }
    assert granted == {f"{obj}.{name}": "true" for obj, name in leadbridge_fields()}


def test_the_project_points_at_the_source_directory() -> None:
    project = json.loads((ROOT / "sfdx-project.json").read_text())
    assert project["packageDirectories"] == [{"path": "force-app", "default": True}]
