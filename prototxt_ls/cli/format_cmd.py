"""``prototxt-ls format``: rewrite files in the canonical layout, like black.

- ``format FILE_OR_FOLDER...`` rewrites each file that would change, in place,
  printing ``reformatted PATH`` per file and a summary to standard error
  (``2 files reformatted, 5 files left unchanged.``);
- ``--check`` writes nothing and prints ``would reformat PATH``; ``--diff``
  writes nothing and prints a unified diff to standard output (both may be
  combined); ``-q`` prints only errors;
- ``-`` reads standard input and writes the formatted text to standard output
  (with ``--check`` / ``--diff``, only the verdict or the diff);
- folders are walked like ``lint`` does (include/exclude from
  ``[tool.prototxt-ls]``).

A file with a syntax error is never touched: ``error: cannot format
PATH:LINE:COL: message`` is printed and the file counts as failed.

Exit codes: 0 nothing to do or everything reformatted; 1 some file failed
(syntax error, unreadable, not UTF-8) or, with ``--check``, some file would
be reformatted (``--diff`` alone exits 0, as black does); 2 usage errors
(no such file or folder, bad options).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..config import load_config
from ..format.formatter import FormatError, format_text
from .files import collect
from .main import UsageError

_BOM = b"\xef\xbb\xbf"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Report:
    def __init__(self, args: argparse.Namespace) -> None:
        self.check = args.check or args.diff
        self.quiet = args.quiet
        self.changed = self.same = self.failed = 0

    def note(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr)

    def error(self, msg: str) -> None:
        self.failed += 1
        print(f"error: {msg}", file=sys.stderr)

    def summary(self) -> None:
        if self.quiet:
            return
        parts = []
        if self.check:
            if self.changed:
                parts.append(f"{_plural(self.changed, 'file')} would be reformatted")
            if self.same:
                parts.append(f"{_plural(self.same, 'file')} would be left unchanged")
            if self.failed:
                parts.append(f"{_plural(self.failed, 'file')} would fail to reformat")
        else:
            if self.changed:
                parts.append(f"{_plural(self.changed, 'file')} reformatted")
            if self.same:
                parts.append(f"{_plural(self.same, 'file')} left unchanged")
            if self.failed:
                parts.append(f"{_plural(self.failed, 'file')} failed to reformat")
        print((", ".join(parts) or "No files to format") + ".", file=sys.stderr)


def _decode(data: bytes) -> tuple[str, bool]:
    """Text and whether it had a UTF-8 byte-order mark; UnicodeDecodeError if not UTF-8."""
    bom = data.startswith(_BOM)
    return data[len(_BOM):].decode("utf-8") if bom else data.decode("utf-8"), bom


def _diff(name: str, before: str, after: str) -> str:
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"{name}\t(original)", tofile=f"{name}\t(formatted)")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


_FAILED, _SAME, _CHANGED = "failed", "same", "changed"


def _format_one(name: str, data: bytes, report: _Report, args: argparse.Namespace) -> tuple[str, bytes]:
    """(``_FAILED``/``_SAME``/``_CHANGED``, the new bytes: ``data`` unless changed)."""
    if b"\x00" in data[:65536]:
        report.error(f"cannot format {name}: binary file (it contains NUL bytes), not a text prototxt")
        return _FAILED, data
    try:
        text, bom = _decode(data)
    except UnicodeDecodeError as exc:
        report.error(f"cannot format {name}: byte {exc.start} is not valid UTF-8; re-save the file as UTF-8")
        return _FAILED, data
    try:
        new = format_text(text)
    except FormatError as exc:
        report.error(f"cannot format {name}:{exc.line + 1}:{exc.column + 1}: {exc.message}")
        return _FAILED, data
    if new == text:
        report.same += 1
        return _SAME, data
    report.changed += 1
    if args.diff:
        sys.stdout.write(_diff(name, text, new))
        sys.stdout.flush()
    return _CHANGED, (_BOM if bom else b"") + new.encode("utf-8")


def run_format(args: argparse.Namespace) -> int:
    report = _Report(args)
    paths = list(args.paths)
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"--config {args.config}: no such file")
    real = [p for p in paths if p != "-"]
    if args.config is not None:
        cfg = load_config(pyproject=args.config)
    else:
        cfg = load_config(Path(real[0]) if real else Path("."))
    for w in cfg.warnings:
        print(f"prototxt-ls: warning: {w}", file=sys.stderr)
    files, missing = collect(real, cfg)
    if missing:
        raise UsageError("; ".join(f"{m}: no such file or folder" for m in missing))

    if "-" in paths:
        data = sys.stdin.buffer.read()
        status, out = _format_one("-", data, report, args)
        if report.check:
            if status == _CHANGED:
                report.note("would reformat -")
        elif status != _FAILED:  # like black: nothing on standard output when it fails
            sys.stdout.buffer.write(out)
            sys.stdout.buffer.flush()

    for f in files:
        name = str(f)
        try:
            data = f.read_bytes()
        except OSError as exc:
            report.error(f"cannot read {name}: {exc.strerror or exc}")
            continue
        status, new = _format_one(name, data, report, args)
        if status != _CHANGED:
            continue
        if report.check:
            report.note(f"would reformat {name}")
            continue
        try:
            f.write_bytes(new)
        except OSError as exc:
            report.changed -= 1
            report.error(f"cannot write {name}: {exc.strerror or exc}")
            continue
        report.note(f"reformatted {name}")

    report.summary()
    if report.failed or (args.check and report.changed):
        return 1
    return 0
