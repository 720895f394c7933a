"""Inline suppression comments: ``# prototxt-ls: disable=CODE[,CODE...]``.

- On a line with a field, the directive silences those codes on that line.
- On a line of its own, it silences them on that line and the next line
  that holds something other than comments (so a directive can sit above the
  layer field it is about).
- ``# prototxt-ls: disable-file=CODE`` anywhere silences them in the file.
- ``all`` silences everything.  Codes may be given by code or by name.

A directive naming a rule that does not exist is itself reported (C901).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .positions import Position, Range
from .rules.registry import lookup
from .syntax.tree import Comment

_DIRECTIVE = re.compile(r"prototxt-ls\s*:\s*(disable|disable-file|disable-next-line)\s*=\s*([\w\-, ]+)")


@dataclass
class Suppressions:
    """Which codes are silenced where, for one file."""

    file_codes: set[str] = field(default_factory=set)
    line_codes: dict[int, set[str]] = field(default_factory=dict)
    #: (range, text) of selectors that name no rule.
    unknown: list[tuple[Range, str]] = field(default_factory=list)

    def silenced(self, code: str, line: int) -> bool:
        if "ALL" in self.file_codes or code in self.file_codes:
            return True
        codes = self.line_codes.get(line)
        return bool(codes) and ("ALL" in codes or code in codes)


def parse_suppressions(comments: list[Comment], text: str) -> Suppressions:
    """Read every directive among ``comments`` of a file with source ``text``."""
    sup = Suppressions()
    if "prototxt-ls" not in text:
        return sup
    lines = text.split("\n")
    for c in comments:
        m = _DIRECTIVE.search(c.text)
        if not m:
            continue
        kind, raw = m.group(1), m.group(2)
        codes: set[str] = set()
        col = c.range.start.column + m.start(2)
        for part in raw.split(","):
            sel = part.strip()
            start = col + part.find(sel) if sel else col
            col += len(part) + 1
            if not sel:
                continue
            if sel.lower() == "all":
                codes.add("ALL")
                continue
            rule = lookup(sel)
            if rule is None:
                line, base = c.range.start.line, c.range.start.offset - c.range.start.column
                sup.unknown.append((Range(Position(line, start, base + start),
                                          Position(line, start + len(sel), base + start + len(sel))), sel))
            else:
                codes.add(rule.code)
        line = c.range.start.line
        if kind == "disable-file":
            sup.file_codes |= codes
            continue
        targets = [line]
        if c.own_line or kind == "disable-next-line":
            nxt = line + 1
            while nxt < len(lines) and (not lines[nxt].strip() or lines[nxt].lstrip().startswith("#")):
                nxt += 1
            targets.append(nxt)
        for t in targets:
            sup.line_codes.setdefault(t, set()).update(codes)
    return sup
