"""Human output with rich: one code frame per diagnostic, then a summary.

    nets/a.prototxt:4:23: F101 error  ConvolutionParameter has no field 'num_ouptut'; ...
       4 │   convolution_param { num_ouptut: 64 }
         │                       ^^^^^^^^^^
         = fix (unsafe): Rename to 'num_output'
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..diagnostics import Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue",
          Severity.HINT: "bold cyan"}
_TAB = "    "


def render_frame(console: Console, path: str, lines: list[str], d: Diagnostic) -> None:
    r = d.range
    head = Text()
    head.append(f"{path}:{r.start.line + 1}:{r.start.column + 1}: ", style="bold")
    head.append(d.code, style="bold magenta")
    head.append(f" {d.severity.label} ", style=_STYLE[d.severity])
    head.append(d.message)
    console.print(head, soft_wrap=True)
    if 0 <= r.start.line < len(lines):
        src = lines[r.start.line]
        num = str(r.start.line + 1)
        pad = " " * len(num)
        shown = src.replace("\t", _TAB)
        start_col = len(src[: r.start.column].replace("\t", _TAB))
        end_col = r.end.column if r.end.line == r.start.line else len(src)
        width = max(1, len(src[r.start.column: end_col].replace("\t", _TAB)))
        frame = Text()
        frame.append(f" {num} │ ", style="blue")
        frame.append(shown + "\n")
        frame.append(f" {pad} │ ", style="blue")
        frame.append(" " * start_col + "^" * width, style=_STYLE[d.severity])
        console.print(frame, soft_wrap=True, highlight=False)
        for rel_range, msg in d.related:
            console.print(Text(f" {pad} = note: {msg} at line {rel_range.start.line + 1}, "
                               f"column {rel_range.start.column + 1}", style="dim"), soft_wrap=True)
        for fix in d.fixes:
            kind = "fix" if fix.safe else "fix (unsafe)"
            console.print(Text(f" {pad} = {kind}: {fix.title}", style="green"), soft_wrap=True)
    console.print()


def render_text(console: Console, results: list[tuple[Path | str, str, list[Diagnostic]]],
                checked: int, quiet: bool = False) -> None:
    counts = {s: 0 for s in Severity}
    files_with = 0
    for path, text, diags in results:
        if diags:
            files_with += 1
        lines = text.split("\n")
        for d in diags:
            counts[d.severity] += 1
            if not quiet:
                render_frame(console, str(path), lines, d)
    total = sum(counts.values())
    if total == 0:
        console.print(Text(f"All checks passed ({checked} file{'s' if checked != 1 else ''} checked).",
                           style="bold green"))
        return
    parts = [f"{n} {s.label}{'s' if n != 1 and s is not Severity.INFO else ''}"
             for s, n in counts.items() if n]
    console.print(Text(f"Found {', '.join(parts)} in {files_with} file{'s' if files_with != 1 else ''} "
                       f"({checked} checked).", style="bold"))
