"""``prototxt-ls upgrade FILE``: rewrite an old Caffe net (V0, V1, input fields) as a V2 net.

- the upgraded text goes to standard output (``-`` reads standard input);
- ``--in-place`` writes it back to FILE instead (only when it changes);
- ``--diff`` prints a unified diff instead of the text;
- ``--check`` prints nothing on standard output and exits 1 when the file
  would change (combine with ``--diff`` to see how).

What the upgrade cannot carry over as written (what Caffe itself drops or
refuses) is printed to standard error as ``PATH:LINE:COL: message``; the
upgrade still happens.  Comments are kept, and the parts of the file that
need no upgrade keep their bytes.

Exit codes: 0 done (or nothing to do); 1 with ``--check``, the file would
change; 2 the file cannot be read, is not UTF-8 text, or has syntax errors
(nothing is written), or the options do not go together.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..format.upgrade import UpgradeError, UpgradeIssue, upgrade_text
from .main import UsageError

_BOM = b"\xef\xbb\xbf"


def run_upgrade(args: argparse.Namespace) -> int:
    if args.in_place and args.check:
        raise UsageError("--in-place and --check do not go together (--check writes nothing)")
    if args.in_place and args.file == "-":
        raise UsageError("--in-place needs a file, not standard input")
    label = "<stdin>" if args.file == "-" else args.file
    data = _read(args.file)
    if data is None:
        return 2
    bom = data.startswith(_BOM)
    try:
        text = data[len(_BOM):].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _err(f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8")
        return 2
    if "\x00" in text:
        _err(f"{label}: this looks like a binary file (a .caffemodel?), not a text prototxt")
        return 2
    try:
        result = upgrade_text(text)
    except UpgradeError as exc:
        for issue in exc.issues:
            _err(_where(label, issue))
        _err(f"{label}: not upgraded: {exc}")
        return 2
    except Exception as exc:  # never a traceback on the command line
        _err(f"{label}: internal error while upgrading ({type(exc).__name__}: {exc}); please report it")
        return 2
    for issue in result.issues:
        _err(_where(label, issue))
    if args.diff:
        name = label if label != "<stdin>" else "stdin"
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(keepends=True),
                                                   result.text.splitlines(keepends=True),
                                                   f"a/{name}", f"b/{name}"))
    if args.check:
        if result.changed:
            _err(f"would upgrade {label}")
            return 1
        return 0
    if args.in_place:
        if result.changed:
            try:
                Path(args.file).write_bytes((_BOM if bom else b"") + result.text.encode("utf-8"))
            except OSError as exc:
                _err(f"{label}: cannot write: {exc.strerror or exc}")
                return 2
            _err(f"upgraded {label}")
        else:
            _err(f"{label} is already up to date")
        return 0
    if not args.diff:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    return 0


def _read(path: str) -> bytes | None:
    if path == "-":
        return sys.stdin.buffer.read()
    p = Path(path)
    try:
        if p.is_dir():
            _err(f"{path}: is a folder; upgrade takes one file")
            return None
        return p.read_bytes()
    except OSError as exc:
        _err(f"{path}: cannot read: {exc.strerror or exc}")
        return None


def _where(label: str, issue: UpgradeIssue) -> str:
    start = issue.range.start
    return f"{label}:{start.line + 1}:{start.column + 1}: {issue.message}"


def _err(message: str) -> None:
    print(message, file=sys.stderr)
