"""Caffe's three net formats, and the rules about them (V201, V202).

- V0: ``layers { layer { name: ... type: "conv" } bottom: ... }`` (2014 and earlier)
- V1: ``layers { name: ... type: CONVOLUTION }`` (enum types)
- V2: ``layer { name: ... type: "Convolution" }`` (current)

Caffe upgrades V0 and V1 in memory, but refuses a net that has both
``layer`` and ``layers`` (``UpgradeV1Net``).
"""

from __future__ import annotations

from ..diagnostics import Fix
from ..syntax.tree import Document, Message
from .report import Sink


def detect_style(doc: Document) -> str | None:
    """``V0``, ``V1``, ``V2``, ``mixed``, or None when the file has no layers."""
    has_v2 = has_old = v0 = False
    for f in doc.root.fields:
        if f.name == "layer":
            has_v2 = True
        elif f.name == "layers":
            has_old = True
            if not v0 and type(f.value) is Message and f.value.first("layer") is not None:
                v0 = True
    if has_v2 and has_old:
        return "mixed"
    if has_old:
        return "V0" if v0 else "V1"
    if has_v2:
        return "V2"
    return None


def check_styles(doc: Document, style: str | None, sink: Sink) -> None:
    """Report a mixed net (error) and an old-format net (information), each with an upgrade fix.

    The mixed net's fix rewrites only its ``layers`` blocks (and an input
    header) and is safe.  The old net's fix is the whole upgrade as Caffe
    does it: safe for V1 (nothing is lost); for V0 it may drop what Caffe
    drops (a V0 net's extra fields), so ``lint --fix`` applies it only with
    ``--unsafe-fixes``.
    """
    def upgrade_fix(title: str, safe: bool, old_only: bool = False) -> list[Fix]:
        # The upgrade as edits; none when the file has syntax errors or nothing would change.
        if doc.errors:
            return []
        from ..format.upgrade import upgrade_edits

        try:
            edits, _ = upgrade_edits(doc, old_blocks_only=old_only)
        except Exception:  # an upgrade bug must not stop the lint; the file simply gets no fix
            return []
        return [Fix(title, tuple(edits), safe)] if edits else []

    if style == "mixed":
        new = [f for f in doc.root.fields if f.name == "layer"]
        old = [f for f in doc.root.fields if f.name == "layers"]
        first_old = old[0]
        sink.add("V201", first_old.name_range,
                 f"this net mixes {len(new)} V2 `layer` block(s) with {len(old)} old-style `layers` "
                 "block(s); Caffe refuses such a net. Upgrade the `layers` blocks to `layer`",
                 fixes=upgrade_fix("Upgrade the old `layers` blocks to V2 `layer`", True, old_only=True),
                 related=[(new[0].name_range, "first V2 `layer` block")])
    elif style in ("V0", "V1"):
        first = next(f for f in doc.root.fields if f.name == "layers")
        what = "V0 (`layers { layer { ... } }`)" if style == "V0" else "V1 (`layers` with enum types)"
        sink.add("V202", first.name_range,
                 f"this net uses Caffe's old {what} format; Caffe upgrades it in memory when "
                 "loading, but most other tools expect V2 `layer` blocks",
                 fixes=upgrade_fix("Upgrade this net to the V2 format (as Caffe would)", style == "V1"))

