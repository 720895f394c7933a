"""The layout tree: fields with their comments attached, ready to print or rewrite.

The syntax tree knows where things are; this tree knows what to write.  Each
:class:`FNode` is one field with the comments that belong to it (own-line
comments above it, a comment at the end of its line), so that moving a node
(an upgrade turning ``blobs_lr`` into ``param { lr_mult }``) moves its
comments too and nothing is lost.  Scalar values keep their source text
exactly (``1e-4`` stays ``1e-4``, ``'x'`` keeps its quotes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..positions import Range


@dataclass
class FNode:
    """One field.  Exactly one of ``value``, ``children`` or ``items`` is set."""

    name: str
    #: A scalar, as written in the source (``"conv1"``, ``3``, ``MAX``, ``-inf``).
    value: str | None = None
    #: A ``{ ... }`` block.
    children: list["FNode"] | None = None
    #: A ``[a, b]`` list: each item is scalar text or a block's children.
    items: list["str | list[FNode]"] | None = None
    #: Own-line comments directly above the field, in order (text starts with '#');
    #: an empty string stands for a blank line between them (kept by the printer).
    leading: list[str] = field(default_factory=list)
    #: A comment after the field on its last line.
    trailing: str | None = None
    #: Comments inside a block after its last field (before the closing bracket);
    #: empty strings are blank lines, as in ``leading``.
    inner: list[str] = field(default_factory=list)
    #: A blank line separated this field from the previous one in the source.
    blank_before: bool = False
    #: Where the field was in the source (None for nodes an upgrade created).
    source: Range | None = None

    @property
    def is_block(self) -> bool:
        return self.children is not None

    def get(self, name: str) -> list["FNode"]:
        return [c for c in (self.children or []) if c.name == name]

    def first(self, name: str) -> "FNode | None":
        for c in self.children or []:
            if c.name == name:
                return c
        return None

    def remove(self, node: "FNode") -> None:
        """Drop a child, handing its comments to the next sibling (or the block's end)."""
        kids = self.children or []
        i = kids.index(node)
        del kids[i]
        orphans = node.leading + ([node.trailing] if node.trailing else []) + node.inner
        if not orphans:
            return
        if i < len(kids):
            kids[i].leading[:0] = orphans
        else:
            self.inner[:0] = orphans


@dataclass
class FDocument:
    """A whole file: its top-level fields and the comments after the last one."""

    root: FNode  # name "" and children = top-level fields; root.inner = comments at the end
    newline: str = "\n"


def scalar(name: str, value: str, **kw) -> FNode:
    return FNode(name, value=value, **kw)


def block(name: str, children: list[FNode] | None = None, **kw) -> FNode:
    return FNode(name, children=list(children or []), **kw)


def quoted(text: str) -> str:
    """A Python string as a double-quoted text-format literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
