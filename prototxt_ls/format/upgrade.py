"""Upgrade old Caffe nets (V0, V1, input fields) to the current format, keeping every comment.

This follows Caffe's ``UpgradeNetAsNeeded`` (``src/caffe/util/upgrade_proto.cpp``)
step by step, but on the layout tree instead of a parsed message, so each
comment moves with the field it belongs to and nothing the user wrote
disappears silently:

1. ``v0``: V0 -> V1 (padding layers folded, parameters moved into their
   ``*_param`` blocks), when a ``layers`` block holds a V0 ``layer``;
2. ``data``: old transformation fields -> ``transform_param``;
3. ``v1``: ``layers`` -> ``layer`` (types as strings, ``param`` blocks);
4. ``input``: ``input`` + ``input_dim``/``input_shape`` -> an Input layer;
5. ``batchnorm``: BatchNorm's three ``param`` blocks removed.

The result is written as edits of the original text (:mod:`.upgrade_edits`):
only the fields that changed are rewritten, so formatting and comments
elsewhere stay byte for byte.  Whatever Caffe would drop, refuse or abort on
comes back as an :class:`UpgradeIssue`.

A net with both ``layer`` and ``layers`` (which Caffe refuses) has only its
``layers`` blocks upgraded, each as V0 or V1 by its own content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import TextEdit
from ..schema.model import Schema
from ..syntax.parser import parse
from ..syntax.tree import Document
from .attach import to_layout
from .nodes import FDocument
from .upgrade_edits import Snapshot, apply
from .upgrade_tree import Context, UpgradeIssue
from .upgrade_v0 import is_v0_block, upgrade_v0
from .upgrade_v1 import upgrade_batch_norm, upgrade_data_transformation, upgrade_input, upgrade_v1_layer

#: Caffe's upgrade steps, in the order it runs them.  ``padding`` (folding padding layers, the
#: first half of ``v0``) may also be asked for alone, as Caffe's own tests do.
STEPS = ("v0", "data", "v1", "input", "batchnorm")
ALL_STEPS = frozenset(STEPS)
_KNOWN = ALL_STEPS | {"padding"}


@dataclass
class UpgradeResult:
    """The upgraded text, what could not be carried over as written, and whether anything changed."""

    text: str
    issues: list[UpgradeIssue] = field(default_factory=list)
    changed: bool = False


class UpgradeError(ValueError):
    """The text cannot be upgraded (it does not parse)."""

    def __init__(self, message: str, issues: list[UpgradeIssue]) -> None:
        super().__init__(message)
        self.issues = issues


def upgrade_text(text: str, *, steps: frozenset[str] | set[str] | None = None,
                 schema: Schema | None = None) -> UpgradeResult:
    """Upgrade a whole net as Caffe would load it; raises :class:`UpgradeError` on syntax errors."""
    doc = parse(text)
    if doc.errors:
        issues = [UpgradeIssue(e.message, e.range) for e in doc.errors]
        raise UpgradeError(f"the file has {len(issues)} syntax error(s); fix them before upgrading", issues)
    edits, issues = upgrade_edits(doc, steps=steps, schema=schema)
    new = apply(text, edits) if edits else text
    return UpgradeResult(new, issues, new != text)


def upgrade_old_blocks(source: str | Document, schema: Schema | None = None) -> list[TextEdit]:
    """Edits that upgrade only the ``layers`` blocks and the input header; [] when there is nothing to do.

    Every other byte of the file stays as it is.  Used as the fix of V201
    (a net mixing ``layer`` and ``layers``).
    """
    doc = parse(source) if isinstance(source, str) else source
    if doc.errors:
        return []
    edits, _ = upgrade_edits(doc, old_blocks_only=True, schema=schema)
    return edits


def upgrade_edits(doc: Document, *, old_blocks_only: bool = False, steps: frozenset[str] | set[str] | None = None,
                  schema: Schema | None = None) -> tuple[list[TextEdit], list[UpgradeIssue]]:
    """The edits turning ``doc`` (parsed without errors) into its upgrade, and the issues found."""
    if schema is None:
        from ..schema.loader import bundled_schema

        schema = bundled_schema()
    fdoc = to_layout(doc)
    # with the V1 step every `layers` block becomes a `layer`: no need to print them beforehand
    before = Snapshot(doc, fdoc, frozenset({"layers"}) if steps is None or "v1" in steps else frozenset())
    ctx = Context(schema)
    touched = upgrade_layout(fdoc, ctx, old_blocks_only=old_blocks_only, steps=steps)
    issues = sorted(ctx.issues, key=lambda i: i.range.start.offset)
    return (before.edits(fdoc) if touched else []), issues


def upgrade_layout(fdoc: FDocument, ctx: Context, *, old_blocks_only: bool = False,
                   steps: frozenset[str] | set[str] | None = None) -> bool:
    """Run the upgrade steps on a layout tree in place; False when none applied."""
    steps = ALL_STEPS if steps is None else frozenset(steps)
    if steps - _KNOWN:
        raise ValueError(f"unknown upgrade step(s) {sorted(steps - _KNOWN)}; known: {sorted(_KNOWN)}")
    root = fdoc.root
    kids = root.children or []
    old = [c for c in kids if c.name == "layers" and c.is_block]
    mixed = bool(old) and any(c.name == "layer" for c in kids)
    per_block = old_blocks_only or mixed
    if mixed and not old_blocks_only:
        first = next(c for c in kids if c.name == "layers")
        ctx.report("this net mixes `layer` and `layers` blocks, which Caffe refuses to upgrade; only the "
                   "`layers` blocks were upgraded", first)
    touched = False
    if any(is_v0_block(c) for c in old) and ("v0" in steps or "padding" in steps):
        upgrade_v0(root, ctx, whole_net=not per_block, layers="v0" in steps)
        touched = True
    blocks = [c for c in root.children or [] if c.name == "layers" and c.is_block]
    if blocks and "data" in steps:
        upgrade_data_transformation(root, ctx, blocks)
        touched = True
    if blocks and "v1" in steps:
        for b in blocks:
            upgrade_v1_layer(b, ctx)
        touched = True
    if "input" in steps and any(c.name == "input" for c in root.children or []):
        upgrade_input(root, ctx)
        touched = True
    if "batchnorm" in steps and not old_blocks_only:
        upgrade_batch_norm(root, ctx)
        touched = True
    return touched


__all__ = ["ALL_STEPS", "STEPS", "UpgradeError", "UpgradeIssue", "UpgradeResult", "upgrade_edits",
           "upgrade_layout", "upgrade_old_blocks", "upgrade_text"]
