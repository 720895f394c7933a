"""Tests of the proto2 loader: grammar constructs, docs, scoping, errors, cache.

Each grammar construct gets a small inline .proto; real schemas from the
shared corpus check that nothing in the wild trips the parser (the
descriptor-level comparison with protoc lives in test_descriptors.py).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prototxt_ls.schema import loader
from prototxt_ls.schema.loader import (SchemaLoadError, bundled_schema, load_schema,
                                       load_schema_text)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BVLC = CORPUS / "BVLC__caffe" / "src" / "caffe" / "proto" / "caffe.proto"


def load(text: str):
    return load_schema_text(text, "test.proto", use_cache=False)


def messages(schema):
    return [e.message for e in schema.errors]


def corpus_schemas() -> list[str]:
    expect = CORPUS / "EXPECT.tsv"
    if not expect.is_file():
        return []
    rows = [line.split("\t") for line in expect.read_text().splitlines()[1:]]
    return [row[0] for row in rows if len(row) > 1 and row[1] == "schema"]


# -- constructs -----------------------------------------------------------------

FULL = '''\
syntax = "proto2";
package caffe;
import "other.proto";
import public "pub.proto";
import weak "weak.proto";
option java_package = "org.caffe";
option (my.ext).sub = { a: 1 b: [1, 2] c { d: "x" } };

message Filler {
  optional string type = 1 [default = 'constant'];
  optional float value = 2 [default = -1.5e-3];
  optional double big = 3 [default = inf];
  optional double nothing = 4 [default = -nan];
  optional int32 hex = 5 [default = 0x1F];
  optional bool on = 6 [default = true, deprecated = true];
  repeated float data = 7 [packed = true];
  optional Norm norm = 8 [default = FAN_IN];
  enum Norm { option allow_alias = true; FAN_IN = 0; FAN_OUT = 1; AVG = 1 [deprecated = true]; }
  required int64 count = 9 [default = -9223372036854775808, (custom) = 3, json_name = "cnt"];
  optional string esc = 10 [default = "a\\"b" "c"];
  oneof choice {
    int32 as_int = 11;
    string as_str = 12;
  }
  extensions 100 to 199, 300;
  extensions 1000 to max;
  reserved 20, 30 to 40;
  reserved "gone";
  message Nested { optional Norm n = 1; }
  ;
}
extend Filler { optional int32 extra = 100; }
service Net { rpc Run (Filler) returns (stream Filler) { option deprecated = true; } }
'''


def test_every_construct_parses_without_errors():
    schema = load(FULL)
    assert schema.errors == []
    assert schema.package == "caffe" and schema.syntax == "proto2"
    filler = schema.message("Filler")
    assert filler.full_name == "caffe.Filler"
    f = filler.fields
    assert f["type"].default == "'constant'"  # as written, quotes kept
    assert f["value"].default == "-1.5e-3"
    assert f["big"].default == "inf" and f["nothing"].default == "-nan"
    assert f["hex"].default == "0x1F"
    assert f["on"].default == "true" and f["on"].deprecated
    assert f["data"].packed and f["data"].repeated
    assert f["norm"].kind == "enum" and f["norm"].type_name == "caffe.Filler.Norm"
    assert f["norm"].default == "FAN_IN"
    assert f["count"].label == "required" and f["count"].default == "-9223372036854775808"
    assert f["esc"].default == '"a\\"b" "c"'
    assert f["as_int"].oneof == "choice" and f["as_str"].oneof == "choice"
    assert f["as_int"].label == "optional" and f["type"].oneof is None
    assert all(field.parent == "caffe.Filler" for field in f.values())
    assert filler.extension_ranges == [(100, 199), (300, 300), (1000, 536870911)]
    assert filler.reserved_ranges == [(20, 20), (30, 40)] and filler.reserved_names == ["gone"]
    assert filler.nested_enums == ["caffe.Filler.Norm"]
    assert filler.nested_messages == ["caffe.Filler.Nested"]
    norm = schema.enum("caffe.Filler.Norm")
    assert norm.allow_alias and norm.values["AVG"].number == 1 and norm.values["AVG"].deprecated
    nested = schema.message("caffe.Filler.Nested")
    assert nested.fields["n"].type_name == "caffe.Filler.Norm"
    assert "extra" not in f  # extend blocks are parsed and ignored
    assert list(schema.messages) == ["caffe.Filler", "caffe.Filler.Nested"]


def test_keywords_are_names_where_a_name_is_expected():
    schema = load('syntax = "proto2";\nmessage group { optional uint32 group = 5; '
                  'optional string message = 6; optional int32 max = 7; '
                  'enum E { option allow_alias = true; optional = 0; OTHER = 0; } }')
    assert schema.errors == []
    assert set(schema.message("group").fields) == {"group", "message", "max"}


def test_numbers_and_enum_values():
    schema = load("enum E { NEG = -2; ZERO = 0; OCT = 010; HEX = 0x10; }")
    values = schema.enum("E").values
    assert [values[k].number for k in ("NEG", "ZERO", "OCT", "HEX")] == [-2, 0, 8, 16]
    assert schema.package == "" and schema.enum("E").full_name == "E"


def test_enum_reserved_ranges_allow_zero_negative_and_max():
    schema = load("enum E { reserved 0, -5 to -2, 10 to max; reserved \"OLD\"; A = 1; OLD = 2; B = 0; }")
    enum = schema.enum("E")
    assert enum.reserved_ranges == [(0, 0), (-5, -2), (10, 2**31 - 1)]
    assert enum.reserved_names == ["OLD"]
    assert list(enum.values) == ["A"]
    assert messages(schema) == ["enum value 'OLD' is reserved", "enum value 'B' is reserved"]


def test_editions_and_proto3_syntax_recorded():
    assert load('syntax = "proto3"; message A { int32 a = 1; }').syntax == "proto3"
    assert load('syntax = "proto3"; message A { int32 a = 1; }').errors == []
    assert load('edition = "2023";').syntax == "editions"
    bad = load('syntax = "proto9";')
    assert messages(bad) == ['unknown syntax "proto9"']


# -- docs -------------------------------------------------------------------------

DOCS = '''\
// Detached: a blank line follows.

// The message doc,
//   indented line kept relative.
message M {
  optional int32 a = 1;  // trailing doc of a
  // leading doc of b
  optional int32 b = 2;  // trailing ignored when there is a leading one
  optional int32 c = 3;
  /* Block doc
   * of d. */
  optional int32 d = 4;
  optional int32 e = 5; optional int32 f = 6;
  /** Javadoc
   *  style */
  enum E {  // trailing of E
    // first value
    X = 0;
    Y = 1; // second value
  }
}
'''


def test_leading_and_trailing_comments_become_docs():
    schema = load(DOCS)
    m = schema.message("M")
    assert m.doc == "The message doc,\n  indented line kept relative."
    f = m.fields
    assert f["a"].doc == "trailing doc of a"
    assert f["b"].doc == "leading doc of b"
    assert f["c"].doc == ""  # the line above is code, its comment belongs to b
    assert f["d"].doc == "Block doc\nof d."
    assert f["e"].doc == "" and f["f"].doc == ""
    e = schema.enum("M.E")
    assert e.doc == "Javadoc\nstyle"
    assert e.values["X"].doc == "first value" and e.values["Y"].doc == "second value"


def test_trailing_comment_of_a_header():
    assert load("enum E {  // trailing of E\n X = 0; }").enum("E").doc == "trailing of E"


# -- scoping --------------------------------------------------------------------------

SCOPES = '''\
package a.b;
message Outer { message Inner { } }
message Scope {
  message Outer { message Inner { } }
  optional Outer o = 1;            // innermost: a.b.Scope.Outer
  optional Outer.Inner oi = 2;     // a.b.Scope.Outer.Inner
  optional .a.b.Outer abs = 3;     // absolute
  optional b.Outer pkg = 4;        // "b" found as package a.b
  optional Deep.X deep = 5;
  message Deep { enum X { X0 = 0; } }
}
message Other { optional Outer.Inner oi = 1; optional Scope.Deep.X x = 2; }
'''


def test_type_resolution_follows_protobuf_scoping():
    schema = load(SCOPES)
    assert schema.errors == []
    f = schema.message("a.b.Scope").fields
    assert f["o"].type_name == "a.b.Scope.Outer" and f["o"].kind == "message"
    assert f["oi"].type_name == "a.b.Scope.Outer.Inner"
    assert f["abs"].type_name == "a.b.Outer"
    assert f["pkg"].type_name == "a.b.Outer"
    assert f["deep"].type_name == "a.b.Scope.Deep.X" and f["deep"].kind == "enum"
    other = schema.message("a.b.Other").fields
    assert other["oi"].type_name == "a.b.Outer.Inner"
    assert other["x"].type_name == "a.b.Scope.Deep.X"


def test_compound_name_is_final_in_the_first_scope_that_has_its_head():
    # protoc: "Outer" is found in Scope, so Outer.Missing is not looked up outside.
    schema = load("message Missing {} message Outer { message Missing {} }\n"
                  "message Scope { message Outer {} optional Outer.Missing m = 1; }")
    assert messages(schema) == ["unknown type 'Outer.Missing'"]
    assert schema.message("Scope").fields["m"].kind == "unresolved"


def test_unknown_type_error_has_the_range_of_the_type():
    schema = load("message A {\n  optional Nope x = 1;\n}")
    (err,) = schema.errors
    assert err.message == "unknown type 'Nope'"
    assert (err.range.start.line, err.range.start.column, err.range.end.column) == (1, 11, 15)
    field = schema.message("A").fields["x"]
    assert field.kind == "unresolved"
    # The Range convention: the name token of the definition.
    assert (field.range.start.line, field.range.start.column, field.range.end.column) == (1, 16, 17)
    assert schema.message("A").range.start.column == 8


def test_unknown_type_mentions_unfollowed_imports():
    schema = load('import "other.proto"; message A { optional other.B b = 1; }')
    assert messages(schema) == ["unknown type 'other.B' (imports are not followed)"]


def test_non_type_symbol_is_skipped_then_reported():
    schema = load("message A { optional int32 b = 1; optional b x = 2; }")
    assert messages(schema) == ["unknown type 'b'"]


# -- semantic errors ----------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("optional int32 a = 1; optional int32 b = 1;", "field number 1 is already used by 'a'"),
    ("optional int32 a = 1; optional int32 a = 2;", "'a' is already defined in 'M'"),
    ("optional int32 a = 0;", "field numbers must be 1 to 536870911"),
    ("optional int32 a = 19001;", "field numbers 19000 to 19999 are reserved for protobuf"),
    ("reserved 3; optional int32 a = 3;", "field number 3 is reserved"),
    ("extensions 3 to 5; optional int32 a = 4;", "field number 4 is inside an extension range"),
    ("int32 a = 1;", "expected 'required', 'optional' or 'repeated'"),
    ("optional int32 a = 1 [default = 1.5];", "expected an integer default for int32"),
    ("optional uint32 a = 1 [default = -1];", "default -1 is out of range for uint32"),
    ("optional bool a = 1 [default = 1];", "expected true or false"),
    ("optional string a = 1 [default = abc];", "expected a string default for string"),
    ("optional float a = 1 [default = \"1\"];", "expected a number default for float"),
    ("repeated int32 a = 1 [default = 1];", "repeated fields can't have default values"),
    ("optional M a = 1 [default = 1];", "message fields can't have default values"),
    ("enum E { X = 0; } optional E a = 1 [default = Y];", "enum 'E' has no value named 'Y'"),
    ("optional int32 a = 1 [packed = true];", "[packed = true] is only for repeated numeric or enum fields"),
    ("optional int32 a = 1 [bogus = 1];", "unknown field option 'bogus'"),
    ("map<string, int32> m = 1;", "map fields are not supported by this loader"),
    ("optional group G = 1 { }", "groups are not supported: use a nested message"),
    ("enum E { X = 0; Y = 0; }", "enum value number 0 is already used by 'X' (set allow_alias to permit)"),
    ("enum E { option allow_alias = true; X = 0; }", "allow_alias is set but no two values share a number"),
    ("enum E { }", "an enum must contain at least one value"),
    ("message N {} message N {}", "'N' is already defined in 'M'"),
])
def test_semantic_errors(body, expected):
    schema = load(f"message M {{ {body} }}")
    assert expected in messages(schema)
    assert all(e.range is not None for e in schema.errors)


def test_enum_values_share_the_enclosing_scope():
    schema = load("enum A { X = 0; } enum B { X = 0; Y = 1; }")
    assert any("'X' is already defined" in m and "C++ scoping" in m for m in messages(schema))
    assert list(schema.enum("B").values) == ["Y"]


def test_conflicting_definitions_keep_the_first():
    schema = load("message M { optional int32 a = 1; optional string b = 1; }")
    assert list(schema.message("M").fields) == ["a"]
    err = schema.errors[0]
    assert err.range.start.column == 50  # the name "b" of the dropped field


# -- syntax errors ---------------------------------------------------------------------


def test_syntax_error_has_precise_range_and_recovery_keeps_the_rest():
    text = 'message A {\n  optional int32 a = x;\n  optional int32 b = 2;\n}\nmessage B { optional A a = 1; }\n'
    schema = load(text)
    (err,) = schema.errors
    assert err.message.startswith("syntax error: unexpected 'x'")
    assert (err.range.start.line, err.range.start.column, err.range.end.column) == (1, 21, 22)
    assert list(schema.message("A").fields) == ["b"]
    assert schema.message("B").fields["a"].type_name == "A"


@pytest.mark.parametrize("text, message, where", [
    ("message A { optional int32 a = 1;", "unexpected end of file", (0, 33)),
    ("message A { } }", "syntax error: unexpected '}'", (0, 14)),
    ("message A { @ }", "syntax error: unexpected character '@'", (0, 12)),
    ('message A { optional string s = 1 [default = "abc];\n}', "syntax error: unterminated string", (0, 45)),
    ("message A { } /* open", "syntax error: unterminated /* comment", (0, 14)),
    ("message A B { }", "syntax error: unexpected 'B' (expected '{')", (0, 10)),
])
def test_syntax_errors(text, message, where):
    schema = load(text)
    assert schema.errors, text
    err = schema.errors[0]
    assert err.message.startswith(message)
    assert (err.range.start.line, err.range.start.column) == where


def test_garbage_never_raises():
    rng = random.Random(1234)
    base = BVLC.read_text() if BVLC.is_file() else FULL * 4
    samples = ["", "\x00\x01\x02", "{{{{", "}}}}", '"', "/*", "message", "message A {",
                "enum E { X = ; }", "\ufeffsyntax = 'proto2';", "message A { optional int32 a = 99999999999999999999; }"]
    for _ in range(40):
        start = rng.randrange(len(base))
        chunk = list(base[start:start + rng.randrange(50, 3000)])
        for _ in range(rng.randrange(1, 6)):
            if chunk:
                chunk[rng.randrange(len(chunk))] = rng.choice('{};="/*x9-.\n')
        samples.append("".join(chunk))
    for text in samples:
        schema = load(text)
        assert all(e.range is None or e.range.start.offset <= len(text) for e in schema.errors)


# -- files, caching, imports -------------------------------------------------------------


def test_unreadable_file_raises_schema_load_error(tmp_path):
    missing = tmp_path / "nope.proto"
    with pytest.raises(SchemaLoadError) as info:
        load_schema(missing)
    assert info.value.path == str(missing) and str(missing) in str(info.value)
    binary = tmp_path / "bin.proto"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SchemaLoadError, match="not UTF-8"):
        load_schema(binary)


def test_schema_cache_roundtrip_and_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text = FULL + "// cache test\n"
    first = load_schema_text(text, "one.proto")
    files = list((tmp_path / "prototxt-ls").glob("schema-*.pickle"))
    assert len(files) == 1
    second = load_schema_text(text, "two.proto")
    assert second is not first and second.path == "two.proto"
    assert second.messages.keys() == first.messages.keys()
    assert second.message("Filler").fields["norm"] == first.message("Filler").fields["norm"]
    files[0].write_bytes(b"not a pickle")
    assert load_schema_text(text).message("Filler") is not None


def test_unwritable_cache_dir_falls_back_silently(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # mkdir under a file fails
    assert load_schema_text("message A {}").message("A") is not None


def test_import_does_not_pull_heavy_modules():
    code = ("import sys, prototxt_ls.schema.loader\n"
            "bad = [m for m in ('google.protobuf', 'pygls', 'torch', 'lark') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_bundled_schema_is_fast_when_warm(tmp_path, monkeypatch):
    if not Path(loader.__file__).with_name("caffe.proto").is_file():
        pytest.skip("bundled caffe.proto not written yet")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    bundled_schema.cache_clear()
    try:
        cold = bundled_schema()
        assert cold.errors == [] and cold.message("LayerParameter") is not None
        bundled_schema.cache_clear()
        start = time.perf_counter()
        warm = bundled_schema()
        elapsed = time.perf_counter() - start
    finally:
        bundled_schema.cache_clear()
    assert warm.message("LayerParameter").fields.keys() == cold.message("LayerParameter").fields.keys()
    assert elapsed < 0.1  # target 20 ms; generous for loaded CI machines


# -- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", corpus_schemas() or ["<no corpus>"])
def test_corpus_schemas_load_cleanly(rel):
    path = CORPUS / rel
    if not path.is_file():
        pytest.skip("corpus not available")
    schema = load_schema(path, use_cache=False)
    assert schema.errors == []
    layer = schema.message("LayerParameter") or schema.message("V1LayerParameter")
    assert layer is not None
    assert all(f.kind in ("scalar", "message", "enum") for m in schema.messages.values()
               for f in m.fields.values())


def test_reference_schema_docs_and_ranges():
    if not BVLC.is_file():
        pytest.skip("corpus not available")
    schema = load_schema(BVLC, use_cache=False)
    layer = schema.message("LayerParameter")
    assert layer.fields["name"].doc == "the layer name"
    assert layer.fields["phase"].type_name == "caffe.Phase"
    pool = schema.message("PoolingParameter").fields["pool"]
    assert pool.type_name == "caffe.PoolingParameter.PoolMethod" and pool.default == "MAX"
    lines = BVLC.read_text().split("\n")
    r = layer.range
    assert lines[r.start.line][r.start.column:r.end.column] == "LayerParameter"
    assert os.path.basename(schema.path) == "caffe.proto"
