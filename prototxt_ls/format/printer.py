"""Print the layout tree in the one canonical layout.

Two-space indentation, one field per line, ``name: value`` for scalars,
``name {`` ... ``}`` for blocks (``<>`` and ``name: {`` become ``{``), lists
on one line (a list holding blocks gets one item per line), comments where
they were (a trailing comment two spaces after its field), at most one blank
line in a row (kept only where the source had one), never one right after an
opening bracket or before a closing one, a blank line between top-level
blocks (and before the comments that follow the last one), and one newline at
the end.  Values are written exactly as the layout tree holds them.

An empty string in a ``leading`` or ``inner`` comment list stands for a blank
line there (see :mod:`.attach`).  The walk is iterative, so deep nesting does
not hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Generator

from .nodes import FDocument, FNode

INDENT = "  "


class _Out:
    """Output lines; blank lines are requested, and written only where allowed."""

    __slots__ = ("after_open", "lines", "pending")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.pending = False
        self.after_open = True  # the start of the file behaves like an opening bracket

    def blank(self) -> None:
        self.pending = True

    def line(self, s: str, opens: bool = False) -> None:
        if self.pending and not self.after_open:
            self.lines.append("")
        self.pending = False
        self.lines.append(s)
        self.after_open = opens

    def close(self, s: str) -> None:
        """A closing bracket line: a blank line requested before it is dropped."""
        self.pending = False
        self.lines.append(s)
        self.after_open = False

    def comments(self, texts: list[str], pad: str) -> None:
        for c in texts:
            if c:
                self.line(pad + c)
            else:
                self.blank()


def print_layout(doc: FDocument) -> str:
    out = _Out()
    nodes = doc.root.children or []
    _drive(_children(nodes, 0, out, top=True))
    if doc.root.inner:
        if nodes and nodes[-1].is_block:
            out.blank()
        out.comments(doc.root.inner, "")
    if not out.lines:
        return ""
    text = "\n".join(out.lines) + "\n"
    return text.replace("\n", doc.newline) if doc.newline != "\n" else text


def _drive(gen: Generator) -> None:
    """Run a generator that yields sub-generators (its "recursive calls") without recursion."""
    stack = [gen]
    while stack:
        try:
            sub = next(stack[-1])
        except StopIteration:
            stack.pop()
        else:
            stack.append(sub)


def _children(nodes: list[FNode], depth: int, out: _Out, top: bool = False) -> Generator:
    pad = INDENT * depth
    for i, node in enumerate(nodes):
        if i > 0 and (node.blank_before or (top and (node.is_block or nodes[i - 1].is_block))):
            out.blank()
        out.comments(node.leading, pad)
        yield _node(node, depth, out)


def _node(node: FNode, depth: int, out: _Out) -> Generator:
    pad = INDENT * depth
    tail = f"  {node.trailing}" if node.trailing else ""
    if node.children is not None:
        out.line(f"{pad}{node.name} {{", opens=True)
        yield _children(node.children, depth + 1, out)
        out.comments(node.inner, pad + INDENT)
        out.close(f"{pad}}}{tail}")
    elif node.items is not None:
        if all(isinstance(item, str) for item in node.items):
            out.line(f"{pad}{node.name}: [{', '.join(node.items)}]{tail}")  # type: ignore[arg-type]
            # Comments inside a one-line list have nowhere else to go: below it.
            out.comments(node.inner, pad)
            return
        out.line(f"{pad}{node.name}: [", opens=True)
        last = len(node.items) - 1
        for j, item in enumerate(node.items):
            comma = "," if j < last else ""
            if isinstance(item, str):
                out.line(f"{pad}{INDENT}{item}{comma}")
            else:
                out.line(f"{pad}{INDENT}{{", opens=True)
                yield _children(item, depth + 2, out)
                out.close(f"{pad}{INDENT}}}{comma}")
        out.comments(node.inner, pad + INDENT)
        out.close(f"{pad}]{tail}")
    else:
        out.line(f"{pad}{node.name}: {node.value}{tail}")
