"""Reading a file's bytes into text, with diagnostics instead of crashes.

A prototxt may arrive as anything: Latin-1 text, a .caffemodel passed by
mistake, an empty file.  :func:`decode` always yields text (possibly empty)
plus S002/S003 findings with precise positions, so the rest of the pipeline
never sees bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..positions import Position, Range
from .report import Sink


@dataclass
class Source:
    """A document's text and where it came from."""

    text: str
    path: Path | None = None
    #: Findings about the bytes themselves (encoding, binary content).
    sink: Sink = field(default_factory=Sink)
    binary: bool = False


def decode(data: bytes, path: Path | None = None) -> Source:
    """Bytes -> Source; never raises."""
    sink = Sink()
    if b"\x00" in data[:65536]:
        origin = Range(Position(0, 0, 0), Position(0, 0, 0))
        sink.add("S003", origin, "this looks like a binary file (it contains NUL bytes), not a text "
                 "prototxt; a .caffemodel or .binaryproto cannot be linted as text")
        return Source("", path, sink, binary=True)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return Source(data.decode("utf-8"), path, sink)
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode("utf-8", errors="replace")
        line = head.count("\n")
        col = len(head) - (head.rfind("\n") + 1)
        pos = Position(line, col, len(head))
        bad = data[exc.start: exc.end]
        sink.add("S002", Range(pos, Position(line, col + 1, len(head) + 1)),
                 f"byte 0x{bad[0]:02x} is not valid UTF-8 (the file may be saved as Latin-1 or "
                 "another encoding); re-save it as UTF-8")
        return Source(data.decode("utf-8", errors="replace"), path, sink)
