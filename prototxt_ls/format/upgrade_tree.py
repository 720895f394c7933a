"""Helpers the upgrade steps share: moving fields about without losing a comment.

Every step edits the layout tree (:mod:`.nodes`) in place.  A field that
moves keeps its own comments; a field that goes away hands all of its
comments, nested ones included, to whatever comes next in its block
(:func:`drop`), so the printed result still has every comment line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..positions import Position, Range
from ..schema.model import Schema
from .nodes import FNode, quoted

_ORIGIN = Range(Position(0, 0, 0), Position(0, 0, 0))


@dataclass(frozen=True, slots=True)
class UpgradeIssue:
    """Something the upgrade could not carry over as Caffe would, or that Caffe itself drops."""

    message: str
    range: Range


class Context:
    """The schema in use and the issues found so far."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.issues: list[UpgradeIssue] = []

    def report(self, message: str, *nodes: FNode | None) -> None:
        """Record an issue at the first of ``nodes`` that has a source range."""
        where = next((n.source for n in nodes if n is not None and n.source is not None), None)
        self.issues.append(UpgradeIssue(message, where or _ORIGIN))

    def enum_name(self, message: str, field: str, text: str | None) -> str | None:
        """The value name an enum field's text means (``4`` -> ``CONVOLUTION``); None if unknown."""
        if text is None:
            return None
        msg = self.schema.message(message)
        f = msg.fields.get(field) if msg else None
        enum = self.schema.field_enum(f) if f else None
        if enum is None:
            return text
        if text in enum.values:
            return text
        try:
            number = int(text, 0)
        except ValueError:
            return None
        value = enum.by_number(number)
        return value.name if value else None

    def has_field(self, message: str, field: str) -> bool:
        msg = self.schema.message(message)
        return msg is not None and field in msg.fields


# --- comments ----------------------------------------------------------------------------------

def comments_of(node: FNode) -> list[str]:
    """All comments a node carries, nested ones included, in source order."""
    out = list(node.leading)
    for child in node.children or []:
        out.extend(comments_of(child))
    for item in node.items or []:
        if not isinstance(item, str):
            for child in item:
                out.extend(comments_of(child))
    out.extend(node.inner)
    if node.trailing:
        out.append(node.trailing)
    return out


def hand_on(parent: FNode, index: int, comments: list[str]) -> None:
    """Give ``comments`` to the child now at ``index`` of ``parent`` (or to the block's end)."""
    if not comments:
        return
    kids = parent.children or []
    if index < len(kids):
        kids[index].leading[:0] = comments
    else:
        parent.inner[:0] = comments


def drop(parent: FNode, node: FNode) -> None:
    """Remove ``node`` from ``parent``, handing every comment it holds to what follows."""
    kids = parent.children or []
    i = next(k for k, c in enumerate(kids) if c is node)
    del kids[i]
    hand_on(parent, i, comments_of(node))


def index_of(parent: FNode, node: FNode) -> int:
    return next(k for k, c in enumerate(parent.children or []) if c is node)


def expand_lists(parent: FNode, names: set[str] | None = None) -> None:
    """Turn ``f: [a, b]`` children (of the given names) into one field per item, in place."""
    kids = parent.children
    if not kids or not any(c.items is not None and (names is None or c.name in names) for c in kids):
        return
    out: list[FNode] = []
    carry: list[str] = []  # comments of an empty list `f: []`, for the next field
    for c in kids:
        if c.items is None or (names is not None and c.name not in names):
            parts = [c]
        else:
            parts = [FNode(c.name, value=item, source=c.source) if isinstance(item, str)
                     else FNode(c.name, children=item, source=c.source) for item in c.items]
            if not parts:
                carry.extend(comments_of(c))
                continue
            parts[0].leading = c.leading + c.inner
            parts[0].blank_before = c.blank_before
            parts[-1].trailing = c.trailing
        if carry:
            parts[0].leading[:0] = carry
            carry = []
        out.extend(parts)
    parent.children = out
    if carry:
        parent.inner[:0] = carry


# --- values ------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def string_value(text: str | None) -> str | None:
    """The string a scalar's source text spells (``'conv'`` -> ``conv``); identifiers as they are."""
    if text is None:
        return None
    if not text or text[0] not in "\"'":
        return text
    from ..syntax.parser import parse

    doc = parse("x: " + text)
    if doc.errors or not doc.root.fields:
        return text.strip("\"'")
    value = doc.root.fields[0].value
    return getattr(value, "string_value", text)


def scalar_value(node: FNode | None) -> str | None:
    return node.value if node is not None and node.value is not None else None


def new_scalar(name: str, value: str) -> FNode:
    return FNode(name, value=value)


def new_string(name: str, value: str) -> FNode:
    return FNode(name, value=quoted(value))


def last_scalar(parent: FNode, name: str) -> FNode | None:
    """The last scalar ``name`` child (text format: a repeated optional field's last value wins)."""
    found = [c for c in parent.children or [] if c.name == name and c.value is not None]
    return found[-1] if found else None
