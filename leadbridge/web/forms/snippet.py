"""The HTML a website pastes to post to a form handler: a plain form with the handler's
fields and the honeypot field hidden from people (bots fill it in; those posts are dropped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from leadbridge.domain.fields import DEFAULT_FIELDS
from leadbridge.domain.forms import CONSENT_FIELDS, HONEYPOT_FIELD

LABELS = {field.name: field.label for field in DEFAULT_FIELDS}


def snippet_fields(field_map: Mapping[str, str], required: Sequence[str]) -> list[tuple[str, str]]:
    """(form field, prospect field) pairs the snippet offers, the email first."""
    pairs = list(field_map.items())
    if "email" not in field_map.values():
        pairs.insert(0, ("email", "email"))
    named = {form_name for form_name, _ in pairs}
    pairs += [(name, name) for name in required if name not in named]
    return sorted(pairs, key=lambda pair: pair[1] != "email")


def form_snippet(url: str, field_map: Mapping[str, str], required: Sequence[str]) -> str:
    lines = [f'<form method="post" action="{escape(url)}">']
    for form_name, target in snippet_fields(field_map, required):
        must = form_name in required or target == "email"
        lines += _field(form_name, target, must)
    lines += [
        "  <!-- Leave this field hidden and empty: posts that fill it in are dropped as spam. -->",
        "  <p hidden>",
        f'    <label>Leave this empty <input type="text" name="{HONEYPOT_FIELD}"'
        ' tabindex="-1" autocomplete="off"></label>',
        "  </p>",
        '  <p><button type="submit">Send</button></p>',
        "</form>",
    ]
    return "\n".join(lines) + "\n"


def _field(form_name: str, target: str, required: bool) -> list[str]:
    name = escape(form_name)
    element_id = "lb-" + "".join(c if c.isalnum() else "-" for c in form_name.lower())
    label = escape(LABELS.get(target, target.replace("_", " ").capitalize()))
    need = " required" if required else ""
    if target in CONSENT_FIELDS:
        return [
            "  <p>",
            f'    <label><input type="checkbox" id="{element_id}" name="{name}" value="true">'
            f" {label}</label>",
            "  </p>",
        ]
    if target == "comments":
        control = f'<textarea id="{element_id}" name="{name}"{need}></textarea>'
    else:
        kind = "email" if target == "email" else "text"
        control = f'<input type="{kind}" id="{element_id}" name="{name}"{need}>'
    return [
        "  <p>",
        f'    <label for="{element_id}">{label}</label>',
        f"    {control}",
        "  </p>",
    ]
