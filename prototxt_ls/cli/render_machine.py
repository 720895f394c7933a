"""Machine-readable outputs: JSON (a documented contract) and GitHub annotations.

JSON: a list with one object per diagnostic::

    {"path": "nets/a.prototxt", "line": 3, "column": 5, "end_line": 3, "end_column": 15,
     "code": "F101", "name": "unknown-field", "severity": "error",
     "message": "...", "fixes": [{"title": "...", "safe": false,
       "edits": [{"line": 3, "column": 5, "end_line": 3, "end_column": 15, "new_text": "..."}]}],
     "related": [{"line": 2, "column": 3, "message": "first set here"}]}

Lines and columns are 1-based; columns count Unicode code points; ends are
exclusive.  Fields may be added, never removed or renamed.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..diagnostics import Diagnostic
from ..positions import Range


def _span(r: Range) -> dict[str, int]:
    return {"line": r.start.line + 1, "column": r.start.column + 1,
            "end_line": r.end.line + 1, "end_column": r.end.column + 1}


def to_json_obj(path: str, d: Diagnostic) -> dict:
    obj = {"path": path, **_span(d.range), "code": d.code, "name": d.name,
           "severity": d.severity.label, "message": d.message,
           "fixes": [{"title": f.title, "safe": f.safe,
                      "edits": [{**_span(e.range), "new_text": e.new_text} for e in f.edits]}
                     for f in d.fixes],
           "related": [{"line": r.start.line + 1, "column": r.start.column + 1, "message": m}
                       for r, m in d.related]}
    return obj


def render_json(results: list[tuple[Path | str, list[Diagnostic]]]) -> str:
    items = [to_json_obj(str(path), d) for path, diags in results for d in diags]
    return json.dumps(items, indent=2, ensure_ascii=False)


_GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(results: list[tuple[Path | str, list[Diagnostic]]]) -> str:
    """GitHub Actions workflow commands, one line per diagnostic."""
    lines = []
    for path, diags in results:
        for d in diags:
            s = _span(d.range)
            lines.append(
                f"::{_GH_LEVEL[d.severity.label]} file={_gh_escape(str(path), True)},line={s['line']},"
                f"col={s['column']},endLine={s['end_line']},endColumn={s['end_column']},"
                f"title={_gh_escape(d.code + ' ' + d.name, True)}::{_gh_escape(d.message)}")
    return "\n".join(lines)
