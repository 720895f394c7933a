"""The one place where our positions meet LSP's.

Ours: 0-based line, column in Unicode code points, offset.  LSP: 0-based
line, ``character`` in UTF-16 code units (the default position encoding).
A character outside the BMP (an emoji in a comment) is one code point but
two UTF-16 units, so columns differ after it.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ..diagnostics import Diagnostic, Severity
from ..positions import LineIndex, Position, Range

SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
            Severity.INFO: lsp.DiagnosticSeverity.Information, Severity.HINT: lsp.DiagnosticSeverity.Hint}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_lsp_position(pos: Position, lines: LineIndex) -> lsp.Position:
    line_text = lines.line_text(pos.line)
    col = min(pos.column, len(line_text))
    return lsp.Position(line=pos.line, character=_utf16_len(line_text[:col]))


def to_lsp_range(rng: Range, lines: LineIndex) -> lsp.Range:
    return lsp.Range(start=to_lsp_position(rng.start, lines), end=to_lsp_position(rng.end, lines))


def from_lsp_position(pos: lsp.Position, lines: LineIndex) -> Position:
    """An LSP position (possibly out of range or mid-surrogate) clamped to the text."""
    starts = lines.line_starts
    line = min(max(pos.line, 0), len(starts) - 1)
    line_text = lines.line_text(line)
    units = 0
    col = 0
    for ch in line_text:
        step = 2 if ord(ch) > 0xFFFF else 1
        if units + step > pos.character:
            break
        units += step
        col += 1
    return Position(line, col, starts[line] + col)


def from_lsp_range(rng: lsp.Range, lines: LineIndex) -> Range:
    return Range(from_lsp_position(rng.start, lines), from_lsp_position(rng.end, lines))


def to_lsp_diagnostic(d: Diagnostic, lines: LineIndex, uri: str) -> lsp.Diagnostic:
    related = [lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=uri, range=to_lsp_range(r, lines)), message=m) for r, m in d.related]
    return lsp.Diagnostic(
        range=to_lsp_range(d.range, lines), message=d.message, severity=SEVERITY[d.severity],
        code=d.code, source="prototxt-ls", related_information=related or None,
        code_description=None, data={"name": d.name})
