"""Finding the files a data layer names, and reading just enough of them.

Caffe opens paths relative to its working directory.  :func:`lookup` tries
the folders that directory usually is (see catalog_data's docstring) and
returns None when a path cannot be looked up at all, so disk checks stay
quiet instead of guessing.  Nothing here raises on unreadable files.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[A-Za-z0-9])")  # s3://, hdfs://, hdfs:/x
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_UNEXPANDED = re.compile(r"\$\{?\w+|%\w+%")
_PLACEHOLDER = re.compile(r"(^|[\\/])\.{3,}([\\/]|$)|[<>{}]")


@dataclass
class Lookup:
    """Where a path was looked for, and the first place it exists (None: nowhere)."""

    text: str
    found: Path | None
    tried: list[tuple[Path, str]] = field(default_factory=list)

    def tried_text(self) -> str:
        return ", ".join(f"{p} ({why})" for p, why in self.tried)


def lookup(text: str, net_path: Path | None, root: Path | None) -> Lookup | None:
    """Look ``text`` up as Caffe might; None when it cannot be judged from here."""
    s = (text or "").strip()
    if not s or (_REMOTE.match(s) and not _DRIVE.match(s)):
        return None
    if _UNEXPANDED.search(s):
        s = os.path.expandvars(s)
        if _UNEXPANDED.search(s):
            return None
    if s.startswith("~"):
        s = os.path.expanduser(s)
        if s.startswith("~"):
            return None
    if _DRIVE.match(s) and os.name != "nt":
        return None
    if _PLACEHOLDER.search(s):
        return None  # '.../train_lmdb', '<path>', '{data_dir}': written to be filled in
    p = Path(s)
    if p.is_absolute():
        candidates = [(p, "as written")]
    else:
        bases: list[tuple[Path, str]] = []
        net_dir = Path(net_path).resolve().parent if net_path is not None else None
        if net_dir is not None:
            bases.append((net_dir, "the net's folder"))
        if root is not None:
            bases.append((Path(root).resolve(), "the project root"))
        anchor = _anchor_folder(p, net_dir)
        if anchor is not None:
            bases.append((anchor, f"the nearest folder above the net with {p.parts[0]}/"))
        if not bases:
            return None
        seen: set[Path] = set()
        candidates = []
        for base, why in bases:
            if base not in seen:
                seen.add(base)
                candidates.append((base / p, why))
    found = next((c for c, _ in candidates if _exists(c)), None)
    return Lookup(s, found, candidates)


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError:
        return False


def _anchor_folder(p: Path, net_dir: Path | None) -> Path | None:
    """The nearest folder above ``net_dir`` holding ``p``'s first folder (``examples/...``)."""
    if net_dir is None or len(p.parts) < 2 or p.parts[0] in (".", ".."):
        return None
    for folder in net_dir.parents:
        try:
            if (folder / p.parts[0]).is_dir():
                return folder
        except OSError:
            return None
    return None


# ---------------------------------------------------------------------- databases
def db_kind(path: Path) -> str:
    """``lmdb`` (data.mdb), ``leveldb`` (CURRENT), ``file``, or ``empty`` (a folder with neither)."""
    try:
        if path.is_file():
            return "file"
        if (path / "data.mdb").is_file():
            return "lmdb"
        if (path / "CURRENT").is_file():
            return "leveldb"
    except OSError:
        pass
    return "empty"


def name_kind(text: str) -> str | None:
    """What a database's name says it is: ``lmdb``, ``leveldb`` or None."""
    name = re.split(r"[\\/]", text.strip().rstrip("/\\"))[-1].lower()
    lmdb, leveldb = "lmdb" in name, bool(re.search(r"level_?db", name))
    if lmdb == leveldb:
        return None
    return "lmdb" if lmdb else "leveldb"


# ---------------------------------------------------------------------- text files
def read_lines(path: Path, limit: int) -> list[str] | None:
    """The first ``limit`` lines as std::getline gives them ('\\r' kept, no phantom last line)."""
    out: list[str] = []
    try:
        with open(path, "rb") as fh:
            while len(out) < limit:
                raw = fh.readline()
                if not raw:
                    break
                out.append(raw.decode("utf-8", "replace").rstrip("\n"))
    except OSError:
        return None
    return out


def image_list_problem(line: str) -> str | None:
    """What is wrong with one ImageData list line, read as Caffe reads it; None if nothing."""
    if not line.strip():
        return "is empty: Caffe reads it as an image with an empty path and stops when it gets there"
    pos = line.rfind(" ")
    if pos < 0:
        sep = "is tab-separated" if "\t" in line else "has no space"
        return f"{sep}: Caffe splits at the last space only, so the whole line becomes the path and the label {_atoi(line)}"
    label = line[pos + 1:]
    if re.fullmatch(r"[+-]?\d+\r?", label):
        return None
    if not label.strip():
        return "ends with a space: the label after the last space is empty, so Caffe reads label 0"
    return f"has label '{label.rstrip(chr(13))}', not an integer: Caffe reads it with atoi, as {_atoi(label)}"


def _atoi(text: str) -> int:
    m = re.match(r"[ \t\n\r\f\v]*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------- images
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(path: Path) -> tuple[int, int] | None:
    """(height, width) from a PNG, JPEG, GIF or BMP header; None if unknown."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return None
    try:
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return h, w
        if head[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", head[6:10])
            return h, w
        if head[:2] == b"BM":
            if struct.unpack("<I", head[14:18])[0] == 12:
                w, h = struct.unpack("<HH", head[18:22])
            else:
                w, h = struct.unpack("<ii", head[18:26])
            return abs(h), w
        if head[:2] == b"\xff\xd8":
            return _jpeg_size(head)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in _JPEG_SOF:
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return h, w
        i += 2 + length
    return None
