"""Error recovery: each mistake reported once, at the right token, and the
rest of the file still parsed into fields.

``errs()`` gives (1-based line, 1-based column, message) triples, the way a
user sees them; ranges are checked as 0-based tuples via ``r()``.
"""

from __future__ import annotations

import pytest

from prototxt_ls.positions import LineIndex, Range
from prototxt_ls.syntax.parser import parse
from prototxt_ls.syntax.tree import Document, ListValue, Message


def r(rng: Range):
    return (tuple(rng.start), tuple(rng.end))


def lines(doc: Document) -> list[int]:
    """1-based start line of every error, in report order."""
    return [e.range.start.line + 1 for e in doc.errors]


def names(msg: Message) -> list[str]:
    return [f.name for f in msg.fields]


def assert_ranges_sane(doc: Document) -> None:
    li = LineIndex(doc.text)
    offsets = [e.range.start.offset for e in doc.errors]
    assert offsets == sorted(offsets), "errors are sorted by position"
    for e in doc.errors:
        assert 0 <= e.range.start.offset <= e.range.end.offset <= len(doc.text)
        assert li.position(e.range.start.offset) == e.range.start
        assert li.position(e.range.end.offset) == e.range.end


def slice_of(doc: Document, rng: Range) -> str:
    return doc.text[rng.start.offset:rng.end.offset]


# ------------------------------------------------------------------ missing colon


def test_missing_colon_before_string():
    doc = parse('name "x"\nb: 2\n')
    [e] = doc.errors
    assert "':'" in e.message and "'name'" in e.message
    assert r(e.range) == ((0, 5, 5), (0, 8, 8))  # points at the value
    assert slice_of(doc, e.range) == '"x"'
    name, b = doc.root.fields
    assert name.value.kind == "string" and name.value.string_value == "x"
    assert (b.name, b.value.number_value) == ("b", 2)
    assert_ranges_sane(doc)


@pytest.mark.parametrize("value,kind", [("ReLU", "ident"), ("3", "number"), ("-inf", "ident"), ("'s'", "string")])
def test_missing_colon_before_other_values(value, kind):
    doc = parse(f"layer {{\n  type {value}\n  top: \"t\"\n}}\n")
    [e] = doc.errors
    assert e.range.start.line == 1
    assert "'type'" in e.message and "':'" in e.message
    assert slice_of(doc, e.range) == value
    layer = doc.root.fields[0].value
    assert names(layer) == ["type", "top"]
    assert layer.fields[0].value.kind == kind
    assert layer.fields[0].value.text == value


def test_missing_colon_before_list():
    doc = parse("dims [1, 2]\n")
    [e] = doc.errors
    assert "'dims'" in e.message
    assert slice_of(doc, e.range) == "["
    f = doc.root.fields[0]
    assert isinstance(f.value, ListValue) and [v.text for v in f.values()] == ["1", "2"]


# ------------------------------------------------------------------ missing value


def test_missing_value_then_next_field():
    doc = parse("layer {\n  bottom:\n  top: \"conv1\"\n}\nname: \"n\"\n")
    [e] = doc.errors
    assert "'bottom'" in e.message and "no value" in e.message
    assert e.range.start.line == 1
    assert slice_of(doc, e.range) == ":"
    layer = doc.root.fields[0].value
    assert names(layer) == ["bottom", "top"]
    assert layer.fields[0].value.kind == "missing"
    assert layer.fields[1].value.string_value == "conv1"
    assert names(doc.root) == ["layer", "name"]


def test_name_without_colon_or_value():
    doc = parse("a {\n  b\n}\nc: 1\n")
    [e] = doc.errors
    assert "'b'" in e.message and "no value" in e.message
    assert r(e.range) == ((1, 2, 6), (1, 3, 7))  # the field name
    assert names(doc.root) == ["a", "c"]
    assert doc.root.fields[0].value.fields[0].value.kind == "missing"


def test_colon_with_nothing_after_at_eof():
    doc = parse("a: 1\nb:")
    [e] = doc.errors
    assert "':'" in e.message and "end of the file" in e.message
    assert r(e.range) == ((1, 1, 6), (1, 2, 7))
    assert names(doc.root) == ["a", "b"]
    assert doc.root.fields[1].value.kind == "missing"


def test_name_alone_at_eof():
    doc = parse("a: 1\nlayer")
    [e] = doc.errors
    assert "'layer'" in e.message and "end of the file" in e.message
    assert r(e.range) == ((1, 0, 5), (1, 5, 10))
    assert names(doc.root) == ["a", "layer"]


# ------------------------------------------------------------------ stray closers


def test_stray_brace_at_top_level():
    doc = parse("a: 1\n}\nb: 2\n")
    [e] = doc.errors
    assert "'}'" in e.message and "unmatched" in e.message
    assert r(e.range) == ((1, 0, 5), (1, 1, 6))
    assert names(doc.root) == ["a", "b"]


def test_stray_brace_after_a_block():
    doc = parse("layer {\n  name: \"a\"\n}\n}\nlayer { name: \"b\" }\n")
    [e] = doc.errors
    assert lines(doc) == [4]
    assert "'}'" in e.message
    assert [l.value.first("name").value.string_value for l in doc.root.get("layer")] == ["a", "b"]


@pytest.mark.parametrize("stray", ["]", ">"])
def test_stray_closer_inside_a_block(stray):
    doc = parse(f"a {{\n  b: 1\n  {stray}\n  c: 2\n}}\nd: 3\n")
    [e] = doc.errors
    assert f"'{stray}'" in e.message
    assert r(e.range) == ((2, 2, 13), (2, 3, 14))
    assert names(doc.root) == ["a", "d"]
    assert names(doc.root.fields[0].value) == ["b", "c"]


def test_stray_brace_inside_angle_block():
    doc = parse("a <\n  b: 1\n  }\n  c: 2\n>\nd: 3\n")
    [e] = doc.errors
    assert "'}'" in e.message and e.range.start.line == 2
    assert names(doc.root.fields[0].value) == ["b", "c"]
    assert doc.root.fields[0].value.closed


def test_stray_brace_inside_a_list():
    doc = parse("a: [1, }, 2]\nb: 1\n")
    [e] = doc.errors
    assert "'}'" in e.message
    assert r(e.range) == ((0, 7, 7), (0, 8, 8))
    assert [v.text for v in doc.root.fields[0].values()] == ["1", "2"]
    assert names(doc.root) == ["a", "b"]


def test_several_stray_braces_each_reported():
    doc = parse("a: 1\n}\n}\nb: 2\n}\n")
    assert lines(doc) == [2, 3, 5]
    assert names(doc.root) == ["a", "b"]


def test_block_without_name_at_top_level():
    doc = parse("{ a: 1 }\n")
    assert lines(doc) == [1]
    assert "'{'" in doc.errors[0].message
    assert r(doc.errors[0].range) == ((0, 0, 0), (0, 1, 1))


# ------------------------------------------------------------------ unclosed constructs


def test_unclosed_block_at_eof_reported_on_its_name():
    doc = parse("a: 1\nlayer {\n  b: 1\n")
    [e] = doc.errors
    assert "'layer'" in e.message and "'}'" in e.message and "never closed" in e.message
    assert r(e.range) == ((1, 0, 5), (1, 5, 10))
    layer = doc.root.fields[1]
    assert not layer.value.closed
    assert layer.value.close_range is None
    assert names(layer.value) == ["b"]
    assert layer.value.range.end.offset == len(doc.text)


def test_unclosed_angle_block_expects_angle():
    doc = parse("p <\n  x: 1\n")
    [e] = doc.errors
    assert "'p'" in e.message and "'>'" in e.message
    assert e.range.start.line == 0


def test_unclosed_nested_blocks_each_reported():
    doc = parse("layer {\n  param {\n    lr_mult: 1\n")
    assert lines(doc) == [1, 2]
    assert "'layer'" in doc.errors[0].message
    assert "'param'" in doc.errors[1].message
    assert names(doc.root.fields[0].value.fields[0].value) == ["lr_mult"]


@pytest.mark.parametrize("tail", ["layer {", "layer {\n", "layer {\n  name: \"c", "layer {\n  na"])
def test_layer_typed_at_end_of_valid_file(tail):
    head = 'name: "net"\nlayer {\n  name: "a"\n  type: "ReLU"\n}\nlayer {\n  name: "b"\n  type: "Input"\n}\n'
    doc = parse(head + tail)
    layers = doc.root.get("layer")
    assert len(layers) == 3
    # The earlier layers are complete, closed fields with all their values.
    for layer, name in zip(layers[:2], ["a", "b"]):
        assert layer.value.closed
        assert layer.value.first("name").value.string_value == name
        assert layer.value.first("type").value.kind == "string"
    assert not layers[2].value.closed
    assert any("'layer'" in e.message and "never closed" in e.message for e in doc.errors)
    assert all(e.range.start.line >= 9 for e in doc.errors)
    assert_ranges_sane(doc)


def test_unclosed_list_at_eof():
    doc = parse("a: [1, 2\n")
    [e] = doc.errors
    assert "']'" in e.message and "list" in e.message
    assert [v.text for v in doc.root.fields[0].values()] == ["1", "2"]


def test_unclosed_empty_list_keeps_earlier_fields():
    doc = parse("x: 1\na: [\n")
    assert len(doc.errors) == 1 and "']'" in doc.errors[0].message
    assert names(doc.root) == ["x", "a"]


def test_unclosed_list_then_more_fields():
    doc = parse("a: [1, 2\nb: 3\nc { d: 4 }\n")
    assert names(doc.root) == ["a", "b", "c"]
    assert len(doc.errors) == 1
    assert "']'" in doc.errors[0].message


def test_unclosed_list_ending_in_comma_at_eof():
    doc = parse("x: 1\na: [1,\n")
    assert names(doc.root) == ["x", "a"]
    assert doc.errors


def test_list_trailing_comma():
    doc = parse("x: 1\na: [1,]\n")
    assert names(doc.root) == ["x", "a"]
    assert len(doc.errors) == 1


# ------------------------------------------------------------------ strings and characters


def test_unterminated_string():
    doc = parse('layer {\n  name: "conv1\n  type: "ReLU"\n}\n')
    [e] = doc.errors
    assert "string" in e.message and "not closed" in e.message
    assert r(e.range) == ((1, 8, 16), (1, 14, 22))  # from the quote to the end of the line
    assert slice_of(doc, e.range) == '"conv1'
    layer = doc.root.fields[0].value
    assert layer.closed
    assert names(layer) == ["name", "type"]
    assert layer.fields[0].value.kind == "bad_string"
    assert layer.fields[0].value.string_value == "conv1"
    assert layer.fields[1].value.string_value == "ReLU"


def test_unterminated_single_quoted_string_at_eof():
    doc = parse("a: 'abc")
    [e] = doc.errors
    assert "not closed" in e.message
    assert r(e.range) == ((0, 3, 3), (0, 7, 7))


@pytest.mark.parametrize("ch", ["@", "=", "$", "!", "\u2028"])
def test_bad_character(ch):
    doc = parse(f"a: 1 {ch}\nb: 2\n")
    [e] = doc.errors
    assert repr(ch) in e.message
    assert r(e.range) == ((0, 5, 5), (0, 6, 6))
    assert names(doc.root) == ["a", "b"]


def test_equals_instead_of_colon():
    doc = parse("a: 1\nb = 2\nc: 3\n")
    [e] = doc.errors
    assert "'='" in e.message
    assert r(e.range) == ((1, 2, 7), (1, 3, 8))
    assert [(f.name, f.value.text) for f in doc.root.fields] == [("a", "1"), ("b", "2"), ("c", "3")]


def test_run_of_bad_characters_is_one_error():
    doc = parse("a: 1 @@@\nb: 2\n")
    [e] = doc.errors
    assert "characters" in e.message
    assert r(e.range) == ((0, 5, 5), (0, 8, 8))


# ------------------------------------------------------------------ several mistakes


MANY = '''name: "net"
layer {
  name "conv1"
  type: "Convolution"
  bottom:
  top: "conv1"
  convolution_param { num_output: 64 @ }
}
}
layer {
  name: "relu
  type: "ReLU"
  bottom = "conv1"
}
layer {
  name: "last"
'''


def test_each_mistake_reported_on_its_line():
    doc = parse(MANY)
    assert lines(doc) == [3, 5, 7, 9, 11, 13, 15]
    msgs = [e.message for e in doc.errors]
    assert "'name'" in msgs[0] and "':'" in msgs[0]
    assert "'bottom'" in msgs[1]
    assert "'@'" in msgs[2]
    assert "'}'" in msgs[3]
    assert "not closed" in msgs[4]
    assert "'='" in msgs[5]
    assert "'layer'" in msgs[6] and "never closed" in msgs[6]
    assert [slice_of(doc, e.range) for e in doc.errors] == ['"conv1"', ":", "@", "}", '"relu', "=", "layer"]
    assert_ranges_sane(doc)


def test_rest_of_file_still_yields_fields():
    doc = parse(MANY)
    assert names(doc.root) == ["name", "layer", "layer", "layer"]
    l1, l2, l3 = doc.root.get("layer")
    assert names(l1.value) == ["name", "type", "bottom", "top", "convolution_param"]
    assert l1.value.first("name").value.string_value == "conv1"
    assert l1.value.first("top").value.string_value == "conv1"
    assert l1.value.first("convolution_param").value.first("num_output").value.number_value == 64
    assert names(l2.value) == ["name", "type", "bottom"]
    assert l2.value.first("type").value.string_value == "ReLU"
    assert l2.value.first("bottom").value.string_value == "conv1"
    assert l3.value.first("name").value.string_value == "last"


def test_one_message_per_line_for_cascades():
    # After the first mistake on a line the rest of the line is its consequence.
    doc = parse("a: } } ]\nb: 1\n")
    assert lines(doc) == [1]
    assert names(doc.root)[-1] == "b"


def test_errors_survive_crlf():
    doc = parse("a: 1\r\nb \"x\"\r\n}\r\nc: 2\r\n")
    assert lines(doc) == [2, 3]
    assert slice_of(doc, doc.errors[0].range) == '"x"'
    assert names(doc.root) == ["a", "b", "c"]
    assert_ranges_sane(doc)


def test_missing_value_before_a_block_on_the_next_line():
    doc = parse('name: "x"\nforce_backward: \nlayer {\n  name: "a"\n}\n')
    assert [e.message for e in doc.errors] == ["field 'force_backward' has no value after ':'"]
    assert [f.name for f in doc.root.fields] == ["name", "force_backward", "layer"]
    assert doc.root.fields[2].value.fields[0].name == "name"
