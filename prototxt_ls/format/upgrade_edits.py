"""Turn an edited layout tree back into the smallest text edits of the original file.

The upgrade edits the layout tree; this module compares each top-level
field with what it was (printed before and after) and writes only what
changed: a field whose contents changed has its own source range replaced
(its comments above and after it stay untouched bytes), a removed field
loses its lines, new fields are inserted before the next field that stayed,
and comments handed on to a surviving field are inserted above it.
Anything this cannot express (a comment moved in an unusual way) makes it
fall back to one edit that rewrites the whole file.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace

from ..diagnostics import TextEdit
from ..positions import LineIndex
from ..syntax.tree import Document
from .nodes import FDocument, FNode
from .printer import print_layout


class _Fallback(Exception):
    """The change cannot be written as local edits."""


@dataclass
class _Orig:
    node: FNode
    start: int  # the field's first character
    end: int  # just after the field's last character
    lead_start: int  # where its own-line comments above it begin (== line start when none), or start
    leading: list[str]
    trailing: str | None
    body: str | None  # None: known to change (not printed beforehand)


def print_nodes(nodes: list[FNode], newline: str = "\n", inner: list[str] | None = None) -> str:
    """The canonical text of top-level ``nodes`` (and comments after them)."""
    root = FNode("", children=list(nodes))
    root.inner = list(inner or [])
    return print_layout(FDocument(root, newline))


def body_text(node: FNode, newline: str = "\n") -> str:
    """A field printed alone, without its comments above and after it."""
    bare = replace(node, leading=[], trailing=None, blank_before=False)
    return print_nodes([bare], newline).rstrip("\r\n")


class Snapshot:
    """The top level of a layout tree before the upgrade touched it."""

    def __init__(self, doc: Document, fdoc: FDocument, changing: frozenset[str] = frozenset()) -> None:
        """``changing``: names of top-level fields the caller will certainly rewrite (not printed now)."""
        self.text = doc.text
        self.lines = doc.lines
        self.newline = fdoc.newline
        kids = fdoc.root.children or []
        offsets = sorted(c.range.start.offset for c in doc.comments if c.own_line)
        self.items: list[_Orig] = []
        prev_end = 0
        for node in kids:
            rng = node.source
            start, end = rng.start.offset, rng.end.offset
            lead_start = start
            if node.leading:
                k = bisect_left(offsets, prev_end)
                if k < len(offsets) and offsets[k] < start:
                    lead_start = self._line_start(offsets[k])
            elif self._first_on_line(start):
                lead_start = self._line_start(start)
            body = None if node.name in changing else body_text(node, "\n")
            self.items.append(_Orig(node, start, end, lead_start, list(node.leading), node.trailing, body))
            prev_end = end
        self.tail = list(fdoc.root.inner)
        k = bisect_left(offsets, prev_end)
        self.tail_start = self._line_start(offsets[k]) if self.tail and k < len(offsets) else len(self.text)

    # --- text geometry
    def _line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def _line_end(self, offset: int) -> int:
        """Offset of the newline ending the line of ``offset`` (or the text's end)."""
        k = self.text.find("\n", offset)
        return len(self.text) if k < 0 else k

    def _first_on_line(self, offset: int) -> bool:
        return self.text[self._line_start(offset):offset].strip() == ""

    def _last_on_line(self, o: _Orig) -> bool:
        rest = self.text[o.end:self._line_end(o.end)].strip()
        return rest == "" or (o.trailing is not None and rest == o.trailing.strip())

    def _indent(self, offset: int) -> str:
        prefix = self.text[self._line_start(offset):offset]
        return prefix if prefix.strip() == "" else ""

    # --- edits
    def edits(self, fdoc: FDocument) -> list[TextEdit]:
        try:
            spans = self._spans(fdoc)
        except _Fallback:
            spans = [(0, len(self.text), print_nodes(fdoc.root.children or [], fdoc.newline, fdoc.root.inner))]
        return self._to_edits(spans)

    def _spans(self, fdoc: FDocument) -> list[tuple[int, int, str]]:
        nl = self.newline
        new = list(fdoc.root.children or [])
        by_id = {id(o.node): o for o in self.items}
        kept = [id(n) for n in new if id(n) in by_id]
        kept_set = set(kept)
        if [id(o.node) for o in self.items if id(o.node) in kept_set] != kept:
            raise _Fallback
        spans: list[tuple[int, int, str]] = []
        alive = {id(n) for n in new}
        # removed fields: delete runs of consecutive ones with their comments
        run: list[_Orig] = []
        for o in self.items + [None]:
            if o is not None and id(o.node) not in alive:
                run.append(o)
                continue
            if run:
                spans.append(self._deletion(run))
                run = []
        # fields that stayed: new comments above, new contents
        inserts: dict[int, list[str]] = {}
        pending: list[FNode] = []
        for n in new + [None]:
            if n is not None and id(n) not in by_id:
                pending.append(n)
                continue
            o = by_id[id(n)] if n is not None else None
            at = o.lead_start if o is not None else self.tail_start
            indent = self._indent(o.start) if o is not None else ""
            parts: list[str] = []
            if pending:
                printed = print_nodes(pending, "\n")
                blank = "\n" if o is not None and (o.node.is_block or pending[-1].is_block) else ""
                if o is None and at == len(self.text) and self.text and not self.text.endswith("\n"):
                    printed = "\n" + printed
                parts.append(_indented(printed, indent) + blank)
                pending = []
            if o is not None:
                extra = self._extra(o.leading, n.leading)
                if extra and o.lead_start == o.start and not self._first_on_line(o.start):
                    raise _Fallback
                parts.extend(indent + c + "\n" for c in extra)
                if n.trailing != o.trailing:
                    raise _Fallback
                after = body_text(n, "\n")
                if after != o.body:
                    spans.append((o.start, o.end, _indented(after, indent, first=False)))
            elif fdoc.root.inner != self.tail:
                extra = self._extra(self.tail, fdoc.root.inner)
                lead = "\n" if at == len(self.text) and self.text and not self.text.endswith("\n") else ""
                parts.append(lead + "".join(c + "\n" for c in extra))
            if parts:
                inserts.setdefault(at, []).extend(parts)
        spans.extend((at, at, "".join(parts)) for at, parts in inserts.items())
        return [(a, b, t.replace("\n", nl) if nl != "\n" else t) for a, b, t in spans]

    @staticmethod
    def _extra(before: list[str], after: list[str]) -> list[str]:
        """Comments added in front of ``before`` (the only change handing comments on makes)."""
        if after == before:
            return []
        if len(after) < len(before) or after[len(after) - len(before):] != before:
            raise _Fallback
        return after[:len(after) - len(before)]

    def _deletion(self, run: list[_Orig]) -> tuple[int, int, str]:
        first, last = run[0], run[-1]
        alone_start = first.lead_start <= first.start and self._first_on_line(first.start)
        start = first.lead_start if alone_start else first.start
        if self._last_on_line(last):
            end = self._line_end(last.end)
            while not alone_start and start > 0 and self.text[start - 1] in " \t":
                start -= 1  # no trailing spaces left on the line before
            if alone_start:
                end = min(end + 1, len(self.text))
                start = self._line_start(start)
                # two blank lines would meet: take one
                before_blank = self.text[self._line_start(max(start - 1, 0)):start].strip() == "" and start > 0
                after_line = self.text[end:self._line_end(end)]
                if before_blank and after_line.strip() == "" and end < len(self.text):
                    end = min(self._line_end(end) + 1, len(self.text))
        else:
            end = last.end
            while end < len(self.text) and self.text[end] in " \t":
                end += 1
        return start, end, ""

    def _to_edits(self, spans: list[tuple[int, int, str]]) -> list[TextEdit]:
        spans.sort(key=lambda s: (s[0], s[1]))
        merged: list[list] = []
        for a, b, t in spans:
            if merged and a <= merged[-1][1]:
                if a < merged[-1][1] and b > a:
                    raise ValueError("overlapping upgrade edits")
                merged[-1][1] = max(merged[-1][1], b)
                merged[-1][2] += t
            else:
                merged.append([a, b, t])
        index = self.lines if isinstance(self.lines, LineIndex) else LineIndex(self.text)
        return [TextEdit(index.range(a, b), t) for a, b, t in merged if (a, b, t) != (a, a, "")]


def _indented(text: str, indent: str, first: bool = True) -> str:
    if not indent:
        return text
    lines = text.split("\n")
    return "\n".join((indent + line if line and (k or first) else line) for k, line in enumerate(lines))


def apply(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (as :func:`prototxt_ls.fixes.apply_edits`)."""
    from ..fixes import apply_edits

    return apply_edits(text, edits)
