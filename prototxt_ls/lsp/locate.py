"""Cursor -> syntax node and schema field: the lookups hover, completion and friends share.

Positions here are ours (0-based line, code-point column, offset; see
``positions.py``).  Turn an LSP position into one with :func:`cursor`, which
answers None for a position outside the document (a feature then answers
empty), or with ``convert.from_lsp_position`` when clamping is wanted.

The API is small on purpose:

``cursor(lsp_pos, lines)``
    the Position of an LSP position, or None when it lies outside the text.
``scope_at(result, pos)``
    the innermost ``{ }`` block holding ``pos`` (the file's root when none),
    the fields leading to it, and its schema message (:class:`Scope`).
``node_at(result, pos)``
    the field name or scalar value token under the cursor (:class:`Hit`),
    with the field's :class:`~prototxt_ls.schema.model.FieldDef`.
``net_layers(result)`` / ``layer_at(result, pos)``
    the net's layers (V2, V1 and V0 alike), and the one whose block holds ``pos``.

Everything tolerates a document with syntax errors: the parser's recovery
always yields a tree (an unclosed block runs to the end of the file).
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types as lsp

from ..analysis.check import CheckResult
from ..model.net import LayerView, build_net
from ..positions import LineIndex, Position, Range
from ..schema.model import FieldDef, MessageDef
from ..syntax.tree import Field, ListValue, Message, Scalar
from .convert import from_lsp_position

#: token tuple indexes (see syntax/lexer.py)
_START, _END = 2, 3


def cursor(pos: lsp.Position, lines: LineIndex) -> Position | None:
    """The Position of an LSP (UTF-16) position; None when it is past the last
    line or past the end of its line."""
    starts = lines.line_starts
    if pos.line < 0 or pos.line >= len(starts) or pos.character < 0:
        return None
    text = lines.line_text(pos.line)
    if pos.character > len(text.encode("utf-16-le")) // 2:
        return None
    return from_lsp_position(pos, lines)


@dataclass
class Scope:
    """The block a position is in."""

    #: Message-valued fields enclosing the position, outermost first (empty at the root).
    path: list[Field]
    #: The innermost block holding the position (the document's root block when none).
    message: Message
    #: Its schema message; None when the file's root is unknown or a field on
    #: the way is not in the schema (a typo) or not a message.
    mdef: MessageDef | None


@dataclass
class Hit:
    """The token under the cursor: a field's name, or one of its scalar values."""

    field: Field
    #: "name" or "value".
    part: str
    #: The token's range (for a hover's range).
    range: Range
    #: The block that holds ``field``.
    scope: Scope
    #: ``field``'s definition in ``scope.mdef`` (None when unknown).
    fdef: FieldDef | None
    #: The value under the cursor when ``part == "value"`` (an item, for ``[a, b]`` lists).
    scalar: Scalar | None = None


def _inside_body(v: Message, off: int) -> bool:
    """Is ``off`` between a block's brackets (right after ``{`` and right before ``}`` count)?"""
    if v.open is None or v.close is None:
        return False
    return v.open[_END] <= off <= v.close[_START]


def _descend(result: CheckResult, off: int, stop_at_node: bool):
    """Walk down the blocks holding ``off``; with ``stop_at_node`` return the
    (field, part, scalar) whose token holds ``off`` as soon as one does."""
    doc = result.document
    schema = result.schema
    msg = doc.root
    mdef = result.root
    path: list[Field] = []
    while True:
        inner = None
        for f in msg.fields:
            t = f.name_token
            if t[_START] > off:
                break
            if stop_at_node and t[_START] <= off < t[_END]:
                return path, msg, mdef, (f, "name", None)
            v = f.value
            if isinstance(v, Message):
                if _inside_body(v, off):
                    inner = f
                    break
            elif stop_at_node:
                items = v.items if isinstance(v, ListValue) else (v,)
                for item in items:
                    if isinstance(item, Scalar) and item.first[_START] <= off < item.last[_END]:
                        return path, msg, mdef, (f, "value", item)
        if inner is None:
            return path, msg, mdef, None
        path.append(inner)
        fd = mdef.fields.get(inner.name) if mdef is not None else None
        mdef = schema.field_message(fd) if (fd is not None and schema is not None) else None
        msg = inner.value


def scope_at(result: CheckResult, pos: Position) -> Scope | None:
    """The innermost block holding ``pos``; None when the document was not parsed."""
    if result is None or result.document is None:
        return None
    path, msg, mdef, _ = _descend(result, pos.offset, False)
    return Scope(path, msg, mdef)


def node_at(result: CheckResult, pos: Position) -> Hit | None:
    """The field name or scalar value under ``pos`` (or just before it, so a
    cursor at the end of a word still finds the word); None elsewhere
    (brackets, comments, whitespace)."""
    if result is None or result.document is None:
        return None
    for off in (pos.offset, pos.offset - 1):
        if off < 0:
            continue
        path, msg, mdef, node = _descend(result, off, True)
        if node is None:
            continue
        f, part, scalar = node
        rng = f.name_range if part == "name" else scalar.range
        fdef = mdef.fields.get(f.name) if mdef is not None else None
        return Hit(f, part, rng, Scope(path, msg, mdef), fdef, scalar)
    return None


def net_layers(result: CheckResult) -> list[LayerView]:
    """The net's layers in file order ([] for a file that is not a net)."""
    if result is None:
        return []
    if result.net is not None:
        return result.net.net.layers
    if result.document is None or result.schema is None or result.root is None \
            or result.root.name != "NetParameter":
        return []
    return build_net(  # a "mixed" net is not analysed: build its layers anyway
        result.document, result.schema).layers


def layer_at(result: CheckResult, pos: Position) -> LayerView | None:
    """The layer whose ``layer { }``/``layers { }`` block holds ``pos``."""
    off = pos.offset
    for layer in net_layers(result):
        block = layer.block
        if block is None:
            continue
        if block.name_token[_START] <= off <= block.range.end.offset:
            return layer
        if block.name_token[_START] > off:
            break
    return None


__all__ = ["Hit", "Scope", "cursor", "layer_at", "net_layers", "node_at", "scope_at"]
