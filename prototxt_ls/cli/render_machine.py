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


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(results: list[tuple[Path | str, list[Diagnostic]]]) -> str:
    """SARIF 2.1.0 for code-scanning tools: one run, every rule's metadata, one result per diagnostic.

    Regions are 1-based; columns count Unicode code points (SARIF's default
    ``columnKind`` is utf16CodeUnits, so the run declares ``unicodeCodePoints``).
    """
    from .. import __version__
    from ..rules.registry import all_rules

    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "prototxt-ls", "version": __version__, "informationUri": "https://pypi.org/project/prototxt-ls/",
        "rules": [{
            "id": r.code, "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity.label]},
            "help": {"text": r.why, "markdown": r.doc_markdown()},
            "properties": {"family": r.family},
        } for r in rules],
    }
    out = []
    for path, diags in results:
        uri = Path(path).as_posix() if not isinstance(path, str) else path.replace("\\", "/")
        for d in diags:
            s = _span(d.range)
            result = {
                "ruleId": d.code, "ruleIndex": index.get(d.code, -1), "level": _SARIF_LEVEL[d.severity.label],
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": s["line"], "startColumn": s["column"],
                               "endLine": s["end_line"], "endColumn": s["end_column"]}}}],
            }
            if d.fixes:
                result["fixes"] = [{"description": {"text": f.title}, "artifactChanges": [{
                    "artifactLocation": {"uri": uri},
                    "replacements": [{"deletedRegion": {k: v for k, v in (
                        ("startLine", _span(e.range)["line"]), ("startColumn", _span(e.range)["column"]),
                        ("endLine", _span(e.range)["end_line"]), ("endColumn", _span(e.range)["end_column"]))},
                        "insertedContent": {"text": e.new_text}} for e in f.edits]}]} for f in d.fixes]
            out.append(result)
    doc = {"version": "2.1.0", "$schema": SARIF_SCHEMA,
           "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": out}]}
    return json.dumps(doc, indent=2, ensure_ascii=False)
