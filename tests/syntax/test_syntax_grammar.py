"""Every construct of the text-format grammar, parsed from valid input.

Ranges are 0-based (line, column, offset) with columns in code points; the
helper ``r()`` turns a Range into nested tuples so expected values read
plainly.  All inputs here are valid: each test also asserts ``errors == []``.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pytest

from prototxt_ls.positions import LineIndex, Position, Range
from prototxt_ls.syntax.parser import parse
from prototxt_ls.syntax.tree import Document, Field, ListValue, Message, Scalar

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def r(rng: Range | None):
    """Range -> ((line, col, off), (line, col, off)) for readable asserts."""
    assert rng is not None
    return (tuple(rng.start), tuple(rng.end))


def ok(text: str) -> Document:
    doc = parse(text)
    assert doc.errors == [], doc.errors
    return doc


def one(text: str) -> Field:
    doc = ok(text)
    assert len(doc.root.fields) == 1, doc.root.fields
    return doc.root.fields[0]


def assert_positions_consistent(doc: Document, rng: Range) -> None:
    """A range's line/column agree with its offsets in the document text."""
    li = LineIndex(doc.text)
    assert li.position(rng.start.offset) == rng.start
    assert li.position(rng.end.offset) == rng.end


def walk(msg: Message):
    for f in msg.fields:
        yield f
        for v in f.values():
            if isinstance(v, Message):
                yield from walk(v)


# ------------------------------------------------------------------ fields


def test_scalar_field_ranges():
    f = one('name: "x"')
    assert f.name == "name"
    assert f.colon is True
    assert isinstance(f.value, Scalar)
    assert f.value.kind == "string"
    assert f.value.text == '"x"'
    assert f.value.string_value == "x"
    assert r(f.name_range) == ((0, 0, 0), (0, 4, 4))
    assert r(f.value.range) == ((0, 6, 6), (0, 9, 9))
    assert r(f.range) == ((0, 0, 0), (0, 9, 9))
    assert f.line == 0


def test_message_field_without_colon():
    f = one("a { b: 1 }")
    assert f.colon is False
    m = f.value
    assert isinstance(m, Message)
    assert m.brackets == "{}"
    assert m.closed
    assert r(m.open_range) == ((0, 2, 2), (0, 3, 3))
    assert r(m.close_range) == ((0, 9, 9), (0, 10, 10))
    assert r(m.range) == ((0, 2, 2), (0, 10, 10))
    assert r(f.range) == ((0, 0, 0), (0, 10, 10))
    [b] = m.fields
    assert (b.name, b.value.kind, b.value.text, b.value.number_value) == ("b", "number", "1", 1)
    assert r(b.range) == ((0, 4, 4), (0, 8, 8))


def test_message_field_with_colon():
    f = one("a: { b: 1 }")
    assert f.colon is True
    assert isinstance(f.value, Message)
    assert [x.name for x in f.value.fields] == ["b"]
    assert r(f.value.range) == ((0, 3, 3), (0, 11, 11))


@pytest.mark.parametrize("text,colon", [("a < b: 1 >", False), ("a: < b: 1 >", True)])
def test_angle_bracket_messages(text, colon):
    f = one(text)
    assert f.colon is colon
    m = f.value
    assert isinstance(m, Message)
    assert m.brackets == "<>"
    assert m.open[1] == "<" and m.close[1] == ">"
    assert m.closed
    assert [(x.name, x.value.text) for x in m.fields] == [("b", "1")]
    assert m.close_range.end.offset == len(text)


def test_nested_blocks_over_lines():
    text = 'layer {\n  name: "c1"\n  param { lr_mult: 1 }\n  param < decay_mult: 0 >\n}\n'
    doc = ok(text)
    [layer] = doc.root.fields
    assert [f.name for f in layer.value.fields] == ["name", "param", "param"]
    assert [f.line for f in layer.value.fields] == [1, 2, 3]
    p1, p2 = layer.value.get("param")
    assert p1.value.brackets == "{}" and p2.value.brackets == "<>"
    assert p1.value.first("lr_mult").value.number_value == 1
    assert p2.value.first("decay_mult").value.number_value == 0
    assert layer.value.first("nope") is None
    assert r(p1.name_range) == ((2, 2, 23), (2, 7, 28))
    assert r(layer.value.close_range) == ((4, 0, 70), (4, 1, 71))
    assert r(layer.range) == ((0, 0, 0), (4, 1, 71))
    for f in walk(doc.root):
        assert_positions_consistent(doc, f.range)


def test_root_message_and_fields_order():
    doc = ok("a: 1\nb: 2\na: 3\n")
    assert [f.name for f in doc.root.fields] == ["a", "b", "a"]
    assert [f.value.text for f in doc.root.get("a")] == ["1", "3"]
    assert doc.root.first("b").value.text == "2"
    assert r(doc.root.range) == ((0, 0, 0), (3, 0, 15))
    assert doc.root.open is None and doc.root.close is None
    assert doc.root.closed


@pytest.mark.parametrize("text", ["", "   \n\t\n", "# only a comment\n", ";;,\n"])
def test_empty_documents(text):
    doc = ok(text)
    assert doc.root.fields == []
    assert doc.root.range.end.offset == len(text)


def test_document_line_index():
    doc = ok("a: 1\nbb: 2\n")
    assert doc.lines.line_starts == [0, 5, 11]
    assert doc.lines.line_text(1) == "bb: 2"
    assert doc.lines.line_text(9) == ""
    assert doc.lines.position(7) == Position(1, 2, 7)
    assert doc.lines.position(999) == Position(2, 0, 11)  # clamped


# ------------------------------------------------------------------ lists


def test_list_of_scalars():
    f = one("a: [1, 2, 3]")
    assert f.colon is True
    assert isinstance(f.value, ListValue)
    assert [v.text for v in f.value.items] == ["1", "2", "3"]
    assert [v.number_value for v in f.values()] == [1, 2, 3]
    assert r(f.value.range) == ((0, 3, 3), (0, 12, 12))
    assert [r(v.range) for v in f.value.items] == [((0, 4, 4), (0, 5, 5)), ((0, 7, 7), (0, 8, 8)),
                                                   ((0, 10, 10), (0, 11, 11))]


def test_list_of_messages_and_mixed_lines():
    doc = ok('b: [{x: 1}, <x: 2>,\n   {x: 3 y: "s"}]\nc: ["p", \'q\', ENUM, -inf]')
    b, c = doc.root.fields
    items = b.values()
    assert all(isinstance(m, Message) for m in items)
    assert [m.brackets for m in items] == ["{}", "<>", "{}"]
    assert [m.first("x").value.number_value for m in items] == [1, 2, 3]
    assert items[2].first("y").value.string_value == "s"
    assert b.value.range.end.line == 1
    assert [(v.kind, v.text) for v in c.values()] == [("string", '"p"'), ("string", "'q'"),
                                                      ("ident", "ENUM"), ("ident", "-inf")]


def test_empty_list():
    f = one("c: []")
    assert isinstance(f.value, ListValue)
    assert f.value.items == []
    assert f.values() == []
    assert r(f.value.range) == ((0, 3, 3), (0, 5, 5))


def test_single_value_is_its_own_values_list():
    f = one("a: 7")
    assert f.values() == [f.value]


# ------------------------------------------------------------------ strings


@pytest.mark.parametrize("text,value", [
    (r'"plain"', "plain"),
    (r"'single'", "single"),
    (r'"a\nb"', "a\nb"),
    (r'"q\"q"', 'q"q'),
    (r"'q\'q'", "q'q"),
    (r'"mix\'"', "mix'"),
    (r'"\101\x41"', "AA"),
    (r'"\t\\"', "\t\\"),
    ('"it\'s"', "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    ('""', ""),
    ('"héllo wörld 😀"', "héllo wörld 😀"),
])
def test_string_escapes(text, value):
    f = one(f"s: {text}")
    assert f.value.kind == "string"
    assert f.value.text == text
    assert f.value.parts == (text,)
    assert f.value.string_value == value


def test_adjacent_strings_concatenate_and_keep_text():
    f = one("s: \"a\" 'b'  \"c\\n\"")
    v = f.value
    assert v.kind == "string"
    assert v.text == "\"a\" 'b'  \"c\\n\""
    assert v.parts == ('"a"', "'b'", '"c\\n"')
    assert v.string_value == "abc\n"
    assert r(v.range) == ((0, 3, 3), (0, 17, 17))


def test_adjacent_strings_across_lines():
    doc = ok('s: "first "\n   "second"\nt: 1\n')
    s, t = doc.root.fields
    assert s.value.string_value == "first second"
    assert s.value.text == '"first "\n   "second"'
    assert r(s.value.range) == ((0, 3, 3), (1, 11, 23))
    assert t.line == 2


def test_hash_inside_string_is_not_a_comment():
    doc = ok('a: "x # y" # real\n')
    assert doc.root.fields[0].value.string_value == "x # y"
    assert [c.text for c in doc.comments] == ["# real"]


# ------------------------------------------------------------------ numbers and identifiers


@pytest.mark.parametrize("text,value", [
    ("0", 0),
    ("42", 42),
    ("-3", -3),
    ("+7", 7),
    ("0x1F", 31),
    ("0X1f", 31),
    ("-0x10", -16),
    ("017", 15),
    ("1.", 1.0),
    (".5", 0.5),
    ("1e-4", 1e-4),
    ("-2.5E+3", -2500.0),
    ("1.0f", 1.0),
    ("2.5F", 2.5),
    ("3e2f", 300.0),
])
def test_numbers(text, value):
    f = one(f"n: {text}")
    assert f.value.kind == "number"
    assert f.value.text == text
    got = f.value.number_value
    assert got == value
    assert type(got) is type(value)
    assert r(f.value.range) == ((0, 3, 3), (0, 3 + len(text), 3 + len(text)))


@pytest.mark.parametrize("word", ["inf", "nan", "-inf", "-nan", "Infinity", "-Infinity", "MAX", "SUM",
                                  "true", "false", "True", "False", "t", "f", "_under_score9"])
def test_identifier_values(word):
    f = one(f"v: {word}")
    assert f.value.kind == "ident"
    assert f.value.text == word
    assert f.value.number_value is None
    assert r(f.value.range) == ((0, 3, 3), (0, 3 + len(word), 3 + len(word)))


def test_number_then_identifier_without_space_splits():
    # Tokens: NUMBER "1" then IDENT "abc" starts the next field.
    doc = ok("a: 1abc: 2")
    assert [(f.name, f.value.text) for f in doc.root.fields] == [("a", "1"), ("abc", "2")]


# ------------------------------------------------------------------ comments


def test_comments_collected_with_ranges():
    text = "# header\na: 1  # trailing\n  # indented own line\nb { # in block\n}\n"
    doc = ok(text)
    assert [(c.text, r(c.range), c.own_line) for c in doc.comments] == [
        ("# header", ((0, 0, 0), (0, 8, 8)), True),
        ("# trailing", ((1, 6, 15), (1, 16, 25)), False),
        ("# indented own line", ((2, 2, 28), (2, 21, 47)), True),
        ("# in block", ((3, 4, 52), (3, 14, 62)), False),
    ]
    assert [f.name for f in doc.root.fields] == ["a", "b"]


def test_comment_at_eof_without_newline():
    doc = ok("a: 1 #end")
    [c] = doc.comments
    assert c.text == "#end"
    assert c.range.end.offset == 9


def test_comment_with_unicode_columns():
    doc = ok("a: 1 # ünï 😀\nb: 2 # x")
    c1, c2 = doc.comments
    assert c1.text == "# ünï 😀"
    assert r(c1.range) == ((0, 5, 5), (0, 12, 12))  # code points, not UTF-16 units or bytes
    assert r(c2.range) == ((1, 5, 18), (1, 8, 21))


def test_comment_text_excludes_carriage_return():
    doc = ok("a: 1 # c\r\nb: 2\r\n")
    [c] = doc.comments
    assert c.text == "# c"
    assert r(c.range) == ((0, 5, 5), (0, 8, 8))


# ------------------------------------------------------------------ separators, whitespace


def test_optional_separators():
    doc = ok("a: 1; b: 2, c: 3;;\nd { e: 1; f: 2, }, g: [1, 2];\n")
    assert [f.name for f in doc.root.fields] == ["a", "b", "c", "d", "g"]
    assert [f.name for f in doc.root.first("d").value.fields] == ["e", "f"]


def test_crlf_line_endings():
    text = "a: 1\r\nb {\r\n  c: \"x\"\r\n}\r\n"
    doc = ok(text)
    a, b = doc.root.fields
    assert r(a.range) == ((0, 0, 0), (0, 4, 4))  # the \r is not part of the value
    assert r(b.name_range) == ((1, 0, 6), (1, 1, 7))
    [c] = b.value.fields
    assert r(c.range) == ((2, 2, 13), (2, 8, 19))
    assert r(b.value.close_range) == ((3, 0, 21), (3, 1, 22))
    for f in walk(doc.root):
        assert_positions_consistent(doc, f.range)


def test_tabs_count_as_one_column():
    doc = ok("\ta:\t1\n\t\tb: 2")
    a, b = doc.root.fields
    assert r(a.name_range) == ((0, 1, 1), (0, 2, 2))
    assert r(a.value.range) == ((0, 4, 4), (0, 5, 5))
    assert r(b.name_range) == ((1, 2, 8), (1, 3, 9))


def test_unicode_columns_count_code_points():
    text = 'a: "héllo 😀 日本" b: 1\nc: "ü" d: 2'
    doc = ok(text)
    a, b, c, d = doc.root.fields
    assert a.value.string_value == "héllo 😀 日本"
    assert r(a.value.range) == ((0, 3, 3), (0, 15, 15))
    assert r(b.name_range) == ((0, 16, 16), (0, 17, 17))
    assert r(d.name_range) == ((1, 7, 28), (1, 8, 29))
    for f in walk(doc.root):
        assert_positions_consistent(doc, f.range)


def test_string_with_backslash_before_newline_does_not_skew_lines():
    # Regression: the lexer compiled with re.S let ``\\.`` swallow the newline,
    # so the string token spanned two lines and every later line number was off.
    doc = parse('a: "x\\\ny"\nb: 2\n')
    b = doc.root.first("b")
    assert b is not None
    assert r(b.name_range) == ((2, 0, 10), (2, 1, 11))
    assert doc.errors  # a string cannot continue over a line break
    assert doc.errors[0].range.start.line == 0


# ------------------------------------------------------------------ depth and size


def _depth(msg: Message) -> tuple[int, Message]:
    depth = 0
    while msg.fields and isinstance(msg.fields[0].value, Message):
        msg = msg.fields[0].value
        depth += 1
    return depth, msg


@pytest.mark.parametrize("opener,closer", [("{", "}"), ("<", ">")])
def test_deep_nesting_2000_levels(opener, closer):
    n = 2000
    text = f"a {opener} " * n + "b: 1" + f" {closer}" * n
    doc = ok(text)  # must not raise RecursionError
    depth, inner = _depth(doc.root)
    assert depth == n
    assert [(f.name, f.value.text) for f in inner.fields] == [("b", "1")]
    assert doc.root.fields[0].range.end.offset == len(text)


def test_deep_nesting_with_newlines_keeps_lines():
    n = 2000
    text = "a {\n" * n + "b: 1\n" + "}\n" * n
    doc = ok(text)
    depth, inner = _depth(doc.root)
    assert depth == n
    assert inner.fields[0].line == n
    assert doc.root.fields[0].value.close_range.start.line == 2 * n


def test_deep_unclosed_nesting_reports_without_recursion_error():
    n = 2000
    doc = parse("a {\n" * n)
    depth, _ = _depth(doc.root)
    assert depth == n
    assert len(doc.errors) == n
    assert all("'a' block is never closed" in e.message for e in doc.errors)
    assert [e.range.start.line for e in doc.errors[:3]] == [0, 1, 2]


# ------------------------------------------------------------------ corpus


def _rows() -> list[dict[str, str]]:
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_real_v2_net_parses_cleanly():
    path = CORPUS / "BVLC__caffe" / "examples" / "mnist" / "lenet_train_test.prototxt"
    if not path.is_file():
        pytest.skip("../shared/corpus is not available")
    text = path.read_text(encoding="utf-8")
    doc = ok(text)
    assert doc.root.first("name").value.string_value == "LeNet"
    layers = doc.root.get("layer")
    assert len(layers) >= 9
    names = [l.value.first("name").value.string_value for l in layers]
    assert names[:2] == ["mnist", "mnist"]
    assert "conv1" in names and "loss" in names
    conv1 = layers[names.index("conv1")].value
    assert conv1.first("type").value.string_value == "Convolution"
    cp = conv1.first("convolution_param").value
    assert cp.first("num_output").value.number_value == 20
    assert cp.first("weight_filler").value.first("type").value.string_value == "xavier"
    for f in walk(doc.root):
        assert_positions_consistent(doc, f.range)
        assert text[f.name_range.start.offset:f.name_range.end.offset] == f.name


def test_every_valid_corpus_file_parses_without_syntax_errors():
    rows = [row for row in _rows() if row["expect"] == "valid" and row["kind"] in ("net", "solver", "labelmap")]
    if not rows:
        pytest.skip("../shared/corpus is not available")
    failures = []
    slowest = 0.0
    for row in rows:
        text = (CORPUS / row["path"]).read_text(encoding="utf-8", errors="replace")
        t0 = time.perf_counter()
        doc = parse(text)
        slowest = max(slowest, time.perf_counter() - t0)
        if doc.errors or not doc.root.fields:
            failures.append((row["path"], doc.errors[:2]))
    assert failures == []
    assert slowest < 2.0


def test_float_values_of_corpus_solver():
    path = CORPUS / "BVLC__caffe" / "examples" / "mnist" / "lenet_solver.prototxt"
    if not path.is_file():
        pytest.skip("../shared/corpus is not available")
    doc = ok(path.read_text(encoding="utf-8"))
    assert math.isclose(doc.root.first("base_lr").value.number_value, 0.01)
    assert doc.root.first("lr_policy").value.string_value == "inv"
    assert doc.root.first("solver_mode").value.kind == "ident"
    assert doc.root.first("solver_mode").value.text == "GPU"
