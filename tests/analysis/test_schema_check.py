"""Schema diagnostics: each kind of mistake, its message and its exact range."""

from __future__ import annotations


import pytest

from corpus_paths import CORPUS
from prototxt_ls.analysis.check import check_text


def diags(text: str, **kw):
    """Schema-level findings only: these snippets are single layers without
    inputs, so graph findings (G/H, tested elsewhere) are beside the point."""
    return [d for d in check_text(text, **kw).diagnostics if d.code[0] in "SFVC"]


def one(text: str, code: str, **kw):
    found = [d for d in diags(text, **kw) if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diags(text, **kw)]
    return found[0]


def span(d):
    r = d.range
    return (r.start.line + 1, r.start.column + 1, r.end.line + 1, r.end.column + 1)


def test_unknown_field_did_you_mean_with_unsafe_fix():
    d = one('layer {\n  convolution_param { kernal_size: 3 }\n}\n', "F101")
    assert span(d) == (2, 23, 2, 34)
    assert "did you mean 'kernel_size'" in d.message
    assert d.fixes[0].edits[0].new_text == "kernel_size" and not d.fixes[0].safe


def test_unknown_field_without_close_match_hints_at_fork_schema():
    d = one('layer {\n  name: "p"\n  prior_box_param { min_size: 30 }\n}\n', "F101")
    assert "fork" in d.message and span(d)[:2] == (3, 3)


@pytest.mark.parametrize("text, needle", [
    ('layer { inner_product_param { num_output: "10" } }', "expects an integer (uint32)"),
    ('layer { name: conv1 }', "expects a quoted string"),
    ('layer { convolution_param: 3 }', "is a block (ConvolutionParameter)"),
    ('layer { name { a: 1 } }', "not a { } block"),
    ('layer { dropout_param { dropout_ratio: "0.5" } }', "expects a number (float)"),
    ('layer { convolution_param { bias_term: yes } }', "expects true or false"),
    ('layer { name: ["a", "b"] }', "not a repeated field"),
])
def test_wrong_value_kind(text, needle):
    assert needle in one(text, "F102").message


def test_quoted_enum_gets_unquote_fix():
    d = one('layer { pooling_param { pool: "MAX" } }', "F102")
    assert "without quotes" in d.message and d.fixes[0].edits[0].new_text == "MAX"


def test_unknown_enum_lists_valid_values():
    d = one('layer {\n  pooling_param { pool: MAXIMUM }\n}\n', "F103")
    assert "MAX, AVE, STOCHASTIC" in d.message and span(d) == (2, 25, 2, 32)


def test_enum_by_number_is_accepted_but_unknown_number_is_not():
    assert "F103" not in [d.code for d in diags("layer { pooling_param { pool: 1 } }")]
    assert "F103" in [d.code for d in diags("layer { pooling_param { pool: 7 } }")]


@pytest.mark.parametrize("text", [
    "layer { inner_product_param { num_output: -1 } }",  # uint32
    "layer { inner_product_param { axis: 2147483648 } }",  # int32
    "random_seed: 9223372036854775808",  # int64 (solver)
])
def test_integer_out_of_range(text):
    one(text, "F104", proto=None)


def test_integers_in_range_hex_and_octal_are_fine():
    text = "layer { inner_product_param { num_output: 0xFF axis: -1 } }\nlayer { inner_product_param { num_output: 017 } }"
    assert [d.code for d in diags(text)] == []


def test_float_for_int_offers_integer_replacement():
    d = one("layer { convolution_param { num_output: 64.0 } }", "F105")
    assert d.fixes[0].edits[0].new_text == "64"


@pytest.mark.parametrize("value", ["1", "-2.5e-3", "1e4", ".5", "1.", "3f", "inf", "-inf", "nan", "Infinity"])
def test_float_spellings_protobuf_accepts(value):
    assert diags(f"layer {{ dropout_param {{ dropout_ratio: {value} }} }}") == []


@pytest.mark.parametrize("value", ["true", "false", "True", "False", "t", "f", "1", "0"])
def test_bool_spellings(value):
    assert diags(f"layer {{ convolution_param {{ bias_term: {value} }} }}") == []


def test_duplicate_scalar_and_message_fields_point_at_the_second():
    d = one('layer {\n  name: "a"\n  name: "b"\n}\n', "F106")
    assert span(d)[:2] == (3, 3) and d.related[0][0].start.line == 1
    one("layer { convolution_param { } convolution_param { } }", "F106")
    # repeated fields may repeat
    assert diags('layer { bottom: "a" bottom: "b" top: "c" top: "d" }') == []


def test_legacy_field_in_v2_layer_names_replacement():
    d = one('layer {\n  name: "c"\n  weight_decay: 1\n}\n', "F107")
    assert "decay_mult" in d.message and span(d)[:2] == (3, 3)


def test_legacy_fields_are_fine_inside_v1_layers():
    text = 'layers {\n  name: "c"\n  type: CONVOLUTION\n  blobs_lr: 1\n  weight_decay: 1\n}\n'
    assert [d.code for d in diags(text)] == ["V202"]


def test_missing_required_field():
    d = one('layer {\n  clip_param { max: 6 }\n}\n', "F109")
    assert "'min'" in d.message and span(d)[:2] == (2, 14)


def test_invalid_escape():
    d = one('layer { name: "a\\qb" }', "F110")
    assert "\\q" in d.message
    assert diags('layer { name: "tab\\there \\"q\\" \\x41 \\101 \\\\" }') == []


def test_v1_enum_type_and_v2_string_type_mixups():
    d = one('layers {\n  type: "Convolution"\n}\n', "F102")
    assert "enum" in d.message.lower()
    assert "F102" in [x.code for x in diags("layer { type: Convolution }")]


def test_v0_net_is_checked_against_v0_fields():
    text = ('layers {\n  layer {\n    name: "c"\n    type: "conv"\n    kernelsize: 3\n    blobs_lr: 1.\n  }\n'
            '  bottom: "data"\n}\n')
    assert [d.code for d in diags(text)] == ["V202"]
    assert "F101" in [d.code for d in diags(text.replace("kernelsize", "kernel_sz"))]


def test_mixed_styles_error_and_style_reported():
    r = check_text('layer { name: "a" }\nlayers { name: "b" }\nlayers { name: "c" }\n')
    assert r.style == "mixed"
    d = [x for x in r.diagnostics if x.code == "V201"][0]
    assert "1 V2" in d.message and "2 old-style" in d.message and d.range.start.line == 1


@pytest.mark.parametrize("text, style", [
    ('layer { name: "a" }', "V2"),
    ('layers { name: "a" type: RELU }', "V1"),
    ('layers { layer { name: "a" type: "relu" } }', "V0"),
    ('name: "empty net"', None),
])
def test_style_detection(text, style):
    assert check_text(text).style == style


def test_solver_is_detected_by_name_and_content(tmp_path):
    text = 'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\n'
    assert check_text(text).root.name == "SolverParameter"
    assert check_text('net: "a.prototxt"', path=tmp_path / "my_solver.prototxt").root.name == "SolverParameter"
    assert check_text('name: "x"\nlayer { name: "a" }').root.name == "NetParameter"


def test_proto_message_header_picks_the_root():
    r = check_text("# proto-message: caffe.SolverParameter\nname: \"x\"\n")
    assert r.root.name == "SolverParameter" and [d.code for d in r.diagnostics] == ["F101"]
    d = one("# proto-message: caffe.Nope\nname: \"x\"\n", "C903")
    assert span(d)[:2] == (1, 1)


def test_proto_file_header_missing_file_is_reported_on_the_header(tmp_path):
    f = tmp_path / "net.prototxt"
    d = one("# proto-file: nowhere/caffe.proto\nname: \"x\"\n", "C902", path=f)
    assert span(d)[:2] == (1, 1) and "nowhere/caffe.proto" in d.message


def test_fork_schema_by_header_makes_fork_layers_known(tmp_path):
    ssd = CORPUS / "weiliu89__caffe/src/caffe/proto/caffe.proto"
    if not ssd.is_file():
        pytest.skip("corpus not available")
    text = 'layer {\n  name: "p"\n  type: "PriorBox"\n  prior_box_param { min_size: 30 aspect_ratio: 2 }\n}\n'
    assert "F101" in [d.code for d in diags(text)]
    f = tmp_path / "ssd.prototxt"
    assert diags(f"# proto-file: {ssd}\n" + text, path=f) == []
    assert diags(text, proto=ssd) == []


def test_caffe_root_env_selects_schema(tmp_path, monkeypatch):
    proto_dir = tmp_path / "caffe" / "src" / "caffe" / "proto"
    proto_dir.mkdir(parents=True)
    (proto_dir / "caffe.proto").write_text(
        'syntax = "proto2";\npackage caffe;\nmessage NetParameter { optional string name = 1; '
        'optional int32 special = 2; }\n')
    monkeypatch.setenv("CAFFE_ROOT", str(tmp_path / "caffe"))
    assert diags("name: \"x\"\nspecial: 3\n") == []


def test_broken_schema_is_reported_not_raised(tmp_path):
    bad = tmp_path / "bad.proto"
    bad.write_text('syntax = "proto2";\npackage caffe;\nmessage NetParameter { optional string name = 1;\n'
                   '  optional Missing thing = 2; }\n')
    r = check_text('name: "x"\n', proto=bad)
    assert "C902" in [d.code for d in r.diagnostics]


def test_syntax_errors_and_schema_checks_together():
    text = 'layer {\n  name "a"\n  convolution_param { kernal_size: 3 }\n}\nlayer { name: "b" ]\n}\n'
    codes = [(d.code, d.range.start.line + 1) for d in diags(text)]
    assert ("S001", 2) in codes and ("F101", 3) in codes and ("S001", 5) in codes
