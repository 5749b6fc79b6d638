"""The one JSON/XML codec of the dialect: hostile-XML-safe reading and RunSignup-style writing.

XML in: the root's name is ignored, a container whose children share one tag is a list, stray
text between elements is ignored, an empty element is "not set". XML out: root = wrapper key,
plural containers with singular items, an empty element for null, T/F for booleans."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_DEPTH = 32
MAX_ELEMENTS = 20_000

SINGULAR = {
    "events": "event",
    "races": "race",
    "error_details": "error",
    "editions": "edition",
    "participants": "participant",
}
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class DocumentError(ValueError):
    """The document is malformed, hostile (DTD, entities) or too deep or large."""


# --- reading ------------------------------------------------------------------------------


def read_json(text: str) -> Any:
    """The document; like PHP's json_decode, lone surrogate escapes (`"\\ud800"`) are not JSON
    (they cannot be stored as UTF-8 either)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"not JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(text) is not None:
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DocumentError("lone surrogate") from exc
    return document


def read_xml(text: str) -> Any:
    """The document's root element as plain values (dicts, lists, strings, None)."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise DocumentError(f"not acceptable XML: {exc}") from exc
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise DocumentError("too many elements")
    return _element_value(root, 1)


def _local(tag: object) -> str:
    name = str(tag)
    return name.rsplit("}", 1)[-1]


def _element_value(element: Element, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise DocumentError("nested too deeply")
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return text or None
    tags = [_local(child.tag) for child in children]
    first = tags[0]
    if all(tag == first for tag in tags) and (
        len(children) > 1 or SINGULAR.get(_local(element.tag)) == first
    ):
        return [_element_value(child, depth + 1) for child in children]
    value: dict[str, Any] = {}
    for tag, child in zip(tags, children, strict=True):
        value[tag] = _element_value(child, depth + 1)
    return value


# --- writing ------------------------------------------------------------------------------


class RawJson(bytes):
    """A document already written as JSON by a specialised writer (a measured hot path)."""


def write_json(document: Any) -> bytes:
    if isinstance(document, RawJson):
        return bytes(document)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_xml(document: dict[str, Any]) -> bytes:
    """`{"race": {...}}` -> `<?xml ...?><race>...</race>`: the single key is the root."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
    for tag, value in document.items():
        _write(parts, tag, value)
    return "".join(parts).encode("utf-8")


def _text(value: object) -> str:
    if value is True:
        return "T"
    if value is False:
        return "F"
    text = str(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return _ILLEGAL_XML.sub("", text)


def _write(parts: list[str], tag: str, value: object) -> None:
    if value is None:
        parts.append(f"<{tag}/>")
    elif isinstance(value, dict):
        parts.append(f"<{tag}>")
        for key, item in value.items():
            _write(parts, key, item)
        parts.append(f"</{tag}>")
    elif isinstance(value, list):
        item_tag = SINGULAR.get(tag, "item")
        parts.append(f"<{tag}>")
        for item in value:
            if isinstance(item, dict) and len(item) == 1 and item_tag in item:
                _write(parts, item_tag, item[item_tag])
            else:
                _write(parts, item_tag, item)
        parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_text(value)}</{tag}>")
