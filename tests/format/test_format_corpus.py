"""The formatter over every corpus file that parses: a fixed point, same message, same comments.

For each file listed in ``../shared/corpus/EXPECT.tsv`` without syntax errors:

(a) ``format_text`` is idempotent;
(b) the parsed message is unchanged: protobuf's own ``text_format.Parse`` of
    the file before and after, into the root message class of the schema the
    file needs, gives equal messages.  For files protoc rejects (``invalid``)
    and the few that protobuf refuses under the listed schema, our syntax
    trees are compared instead: the same sequence of (path, value) items;
(c) every comment is still there, in the same order (trailing whitespace aside).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from prototxt_ls.format.attach import to_layout
from prototxt_ls.format.formatter import format_text
from prototxt_ls.format.printer import print_layout
from prototxt_ls.syntax.parser import parse
from prototxt_ls.syntax.tree import Document, ListValue, Message, Scalar

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ROOTS = {"net": "NetParameter", "solver": "SolverParameter", "labelmap": "LabelMap"}


def _rows() -> list[dict[str, str]]:
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if (CORPUS / r["path"]).is_file()]


ROWS = _rows()


@cache
def _message_class(schema_name: str, root: str):
    from prototxt_ls.schema.descriptors import message_class
    from prototxt_ls.schema.loader import bundled_schema, load_schema

    schema = bundled_schema() if schema_name == "bundled" else load_schema(CORPUS / schema_name)
    return message_class(schema, root)


def tree_items(doc: Document) -> list[tuple]:
    """Every field of the tree in order: (path, kind, value) with blocks and lists bracketed."""
    out: list[tuple] = []
    stack: list = [((), doc.root.fields, 0)]
    while stack:
        path, fields, i = stack.pop()
        if i >= len(fields):
            if path:
                out.append((path, "}"))
            continue
        stack.append((path, fields, i + 1))
        f = fields[i]
        p = path + (f.name,)
        v = f.value
        if isinstance(v, Message):
            out.append((p, "{"))
            stack.append((p, v.fields, 0))
        elif isinstance(v, ListValue):
            out.append((p, "[", tuple(_scalar(x) if isinstance(x, Scalar) else tree_items_of(x) for x in v.items)))
        else:
            out.append((p, _scalar(v)))
    return out


def tree_items_of(m: Message) -> tuple:
    return tuple(tree_items(Document("", m, [], [])))


def _scalar(s: Scalar) -> tuple:
    return (s.kind, s.parts) if s.kind == "string" else (s.kind, s.text)


def _read(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("utf-8-sig")


@pytest.mark.corpus
@pytest.mark.skipif(not ROWS, reason="../shared/corpus is not available")
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["path"])
def test_corpus_file(row: dict[str, str]) -> None:
    text = _read(CORPUS / row["path"])
    before = parse(text)
    if before.errors:
        pytest.skip(f"syntax error at {before.errors[0]!r}")
    out = format_text(text)
    after = parse(out)
    assert not after.errors, after.errors[:3]
    # (a) a fixed point
    assert print_layout(to_layout(after)) == out
    # (c) comments, in order
    assert [c.text for c in after.comments] == [c.text.rstrip() for c in before.comments]
    # (b) the same message
    root = ROOTS.get(row["kind"])
    if root is not None and row["expect"] == "valid":
        from google.protobuf import text_format

        cls = _message_class(row["schema"], root)
        want, got = cls(), cls()
        try:
            text_format.Parse(text, want)
        except text_format.ParseError:
            pass  # EXPECT.tsv says valid, but protobuf refuses it under this schema: compare trees
        else:
            text_format.Parse(out, got)
            assert got == want
            return
    assert tree_items(after) == tree_items(before)


def test_tree_items_tell_blocks_apart() -> None:
    """The fallback comparison sees block boundaries, list brackets and string pieces."""
    def items(text: str) -> list[tuple]:
        return tree_items(parse(text))

    assert items("a { b: 1 } a { b: 2 }") != items("a { b: 1 b: 2 }")
    assert items("a: [1, 2]") != items("a: 1 a: 2")
    assert items('a: "x" "y"') != items('a: "xy"')
    assert items('a < b: 1; c: [2] >  # c') == items('a {\n  b: 1\n  c: [2]\n}\n')
