"""Checks of the bundled ``prototxt_ls/schema/caffe.proto``.

* It compiles with protoc and is structurally identical to BVLC Caffe's
  final caffe.proto (same messages, fields, numbers, labels, types,
  defaults, options and enum values) once comments are ignored.
* Every message, enum, field and enum value carries a leading comment,
  because those comments are what hover shows in the editor.
* The comments are our own text, not the reference's comments.

The reference lives in the shared corpus next to the repository; tests that
need it are skipped when it is absent.  Everything is skipped when
grpcio-tools (which ships protoc) is not installed.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from pathlib import Path

import pytest

grpc_protoc = pytest.importorskip("grpc_tools.protoc")
from google.protobuf import descriptor_pb2  # noqa: E402  (after importorskip)

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED = REPO_ROOT / "prototxt_ls" / "schema" / "caffe.proto"
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
REFERENCE = CORPUS / "BVLC__caffe" / "src" / "caffe" / "proto" / "caffe.proto"

# DescriptorProto / EnumDescriptorProto / FileDescriptorProto field numbers
# used in SourceCodeInfo paths.
FILE_MESSAGE = 4
FILE_ENUM = 5
MSG_FIELD = 2
MSG_NESTED = 3
MSG_ENUM = 4
ENUM_VALUE = 2


def compile_proto(proto: Path) -> descriptor_pb2.FileDescriptorProto:
    """Run protoc (from grpcio-tools) on one file and return its descriptor."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.pb"
        args = [
            "protoc",
            f"-I{proto.parent}",
            f"--descriptor_set_out={out}",
            "--include_source_info",
            proto.name,
        ]
        rc = grpc_protoc.main(args)
        assert rc == 0, f"protoc failed on {proto} (exit {rc})"
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(out.read_bytes())
    assert len(fds.file) == 1
    return fds.file[0]


def definitions(fdp: descriptor_pb2.FileDescriptorProto):
    """Yield (qualified name, kind, SourceCodeInfo path) for every message,
    enum, field and enum value, nested ones included."""

    def enum(e, path, prefix):
        name = f"{prefix}{e.name}"
        yield name, "enum", path
        for j, v in enumerate(e.value):
            yield f"{name}.{v.name}", "enum value", path + (ENUM_VALUE, j)

    def message(m, path, prefix):
        name = f"{prefix}{m.name}"
        yield name, "message", path
        for j, f in enumerate(m.field):
            yield f"{name}.{f.name}", "field", path + (MSG_FIELD, j)
        for j, e in enumerate(m.enum_type):
            yield from enum(e, path + (MSG_ENUM, j), f"{name}.")
        for j, n in enumerate(m.nested_type):
            yield from message(n, path + (MSG_NESTED, j), f"{name}.")

    for i, m in enumerate(fdp.message_type):
        yield from message(m, (FILE_MESSAGE, i), "")
    for i, e in enumerate(fdp.enum_type):
        yield from enum(e, (FILE_ENUM, i), "")


def comments_by_name(fdp, attr: str = "leading_comments") -> dict[str, str]:
    locations = {tuple(loc.path): loc for loc in fdp.source_code_info.location}
    result = {}
    for name, _kind, path in definitions(fdp):
        loc = locations.get(path)
        result[name] = getattr(loc, attr) if loc is not None else ""
    return result


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def bundled() -> descriptor_pb2.FileDescriptorProto:
    assert BUNDLED.is_file(), f"missing {BUNDLED}"
    return compile_proto(BUNDLED)


@pytest.fixture(scope="module")
def reference() -> descriptor_pb2.FileDescriptorProto:
    if not CORPUS.is_dir() or not REFERENCE.is_file():
        pytest.skip(f"reference caffe.proto not available under {CORPUS}")
    return compile_proto(REFERENCE)


def _without_comments(fdp) -> descriptor_pb2.FileDescriptorProto:
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(fdp)
    copy.ClearField("source_code_info")
    return copy


def test_bundled_header(bundled):
    assert bundled.syntax in ("", "proto2")  # protoc leaves proto2 empty
    assert bundled.package == "caffe"
    assert re.search(r'^syntax = "proto2";$', BUNDLED.read_text(), re.M)


def test_structurally_identical_to_reference(bundled, reference):
    ours = _without_comments(bundled)
    theirs = _without_comments(reference)
    if ours != theirs:
        # Point at the first differing definition before failing as a whole.
        ours_defs = [(n, k) for n, k, _ in definitions(ours)]
        theirs_defs = [(n, k) for n, k, _ in definitions(theirs)]
        assert ours_defs == theirs_defs
        for om, tm in zip(ours.message_type, theirs.message_type):
            assert om == tm, f"message {om.name} differs:\n{om}\n--- vs ---\n{tm}"
        for oe, te in zip(ours.enum_type, theirs.enum_type):
            assert oe == te, f"enum {oe.name} differs"
    assert ours == theirs


def declarations(proto: Path, fdp) -> dict[str, str]:
    """Source text of every field and enum value declaration, by name, with
    whitespace collapsed (e.g. "optional float eps = 3 [default = 1e-5];")."""
    lines = proto.read_text(encoding="utf-8").split("\n")
    locations = {tuple(loc.path): loc for loc in fdp.source_code_info.location}
    result = {}
    for name, kind, path in definitions(fdp):
        if kind not in ("field", "enum value"):
            continue
        span = list(locations[path].span)
        start_line, start_col = span[0], span[1]
        end_line, end_col = (span[0], span[2]) if len(span) == 3 else (span[2], span[3])
        if start_line == end_line:
            text = lines[start_line][start_col:end_col]
        else:
            parts = [lines[start_line][start_col:]]
            parts += lines[start_line + 1 : end_line]
            parts.append(lines[end_line][:end_col])
            text = " ".join(parts)
        result[name] = " ".join(text.split())
    return result


def test_declarations_written_like_reference(bundled, reference):
    """protoc normalises defaults (".999" -> "0.999", "1." -> "1"), so also
    compare the declaration text itself: defaults must be spelled the same."""
    ours = declarations(BUNDLED, bundled)
    theirs = declarations(REFERENCE, reference)
    assert ours.keys() == theirs.keys()
    differing = {n: (ours[n], theirs[n]) for n in ours if ours[n] != theirs[n]}
    assert not differing, f"declarations written differently: {differing}"


def test_expected_recent_definitions_present(bundled):
    messages = {m.name: m for m in bundled.message_type}
    assert "ClipParameter" in messages
    assert "SwishParameter" in messages
    pooling = {f.name: f for f in messages["PoolingParameter"].field}
    assert pooling["round_mode"].default_value == "CEIL"
    clip = {f.name: f for f in messages["ClipParameter"].field}
    assert {f.label for f in clip.values()} == {
        descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED
    }


def test_every_definition_has_leading_comment(bundled):
    comments = comments_by_name(bundled)
    missing = [name for name, text in comments.items() if not text.strip()]
    assert not missing, f"definitions without a leading comment: {missing}"
    # Sanity: all kinds of definitions were looked at.
    kinds = {kind for _n, kind, _p in definitions(bundled)}
    assert kinds == {"message", "enum", "field", "enum value"}


def test_no_trailing_comments(bundled):
    trailing = [
        name for name, text in comments_by_name(bundled, "trailing_comments").items() if text.strip()
    ]
    assert not trailing, f"comments must lead, not trail: {trailing}"


def test_comments_are_not_copied_from_reference(bundled, reference):
    ours = comments_by_name(bundled)
    theirs_leading = comments_by_name(reference)
    theirs_trailing = comments_by_name(reference, "trailing_comments")
    copied = []
    close = []
    for name, text in ours.items():
        if len(text.split()) <= 6:
            continue
        mine = normalise(text)
        for source in (theirs_leading, theirs_trailing):
            other = normalise(source.get(name, ""))
            if not other:
                continue
            if mine == other:
                copied.append(name)
            elif difflib.SequenceMatcher(None, mine, other).ratio() >= 0.85:
                close.append(name)
    assert not copied, f"comments identical to the reference: {copied}"
    assert not close, f"comments nearly identical to the reference: {close}"
