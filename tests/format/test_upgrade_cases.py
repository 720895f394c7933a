"""Hand-written upgrade cases: comments, Caffe's corner cases, the V201/V202 fixes."""

from __future__ import annotations

from collections import Counter

import pytest
from google.protobuf import text_format

from prototxt_ls.analysis.check import check_text
from prototxt_ls.fixes import apply_edits
from prototxt_ls.format.upgrade import UpgradeError, upgrade_old_blocks, upgrade_text
from prototxt_ls.schema.descriptors import message_class
from prototxt_ls.schema.loader import bundled_schema
from prototxt_ls.syntax.parser import parse


def net(text: str):
    msg = message_class(bundled_schema(), "NetParameter")()
    text_format.Parse(text, msg)
    return msg


def comments(text: str) -> Counter:
    return Counter(c.text.rstrip() for c in parse(text).comments)


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).diagnostics]


V1_COMMENTED = """\
# My net
name: "commented"
input: "data"  # the image
input_dim: 1
input_dim: 3
input_dim: 16
input_dim: 16
# conv block
layers {  # first layer
  name: "conv"
  type: CONVOLUTION
  bottom: "data"
  top: "conv"
  # learning rates
  blobs_lr: 1  # filters
  blobs_lr: 2  # biases
  weight_decay: 1
  weight_decay: 0  # no decay on biases
  convolution_param {
    num_output: 8
    kernel_size: 3
  }
}  # end conv
layers {
  name: "relu"
  type: RELU
  bottom: "conv"
  top: "conv"
  # nothing else
}
# trailing comment at the end
"""


def test_v1_with_comments():
    result = upgrade_text(V1_COMMENTED)
    out = result.text
    assert result.changed and result.issues == []
    assert not comments(V1_COMMENTED) - comments(out)
    lines = out.splitlines()
    assert lines[0] == "# My net" and lines[-1] == "# trailing comment at the end"
    assert "    lr_mult: 1  # filters" in lines
    assert "    lr_mult: 2  # biases" in lines
    assert "    decay_mult: 0  # no decay on biases" in lines
    assert "  top: \"data\"  # the image" in lines  # the input line's comment moved with it
    assert "}  # end conv" in lines
    # the group comment stays above the param blocks it introduces
    assert lines[lines.index("  # learning rates") + 1] == "  param {"
    assert lines.index("# conv block") < lines.index("  name: \"conv\"")
    assert net(out) == net("""
        name: "commented"
        layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 16 dim: 16 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                convolution_param { num_output: 8 kernel_size: 3 } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }""")
    assert not [c for c in codes(out) if c[0] in "SFV"]
    assert not upgrade_text(out).changed


def test_v0_padding_folded_and_dropped_fields_reported():
    text = """\
name: "v0"
input: "data"
input_dim: [1, 3, 8, 8]
state { phase: TEST }
layers {
  # pad it
  layer { name: "pad1" type: "padding" pad: 2 }  # the padding
  bottom: "data"
  top: "pad1"
}
layers {
  layer {
    name: "conv1"
    type: "conv"
    num_output: 4
    kernelsize: 3
    new_num: 3  # not carried over
    dropout_ratio: 0.5
    blobs_lr: 1
  }
  bottom: "pad1"
  top: "conv1"
  name: "outer"
}
layers { layer { name: "pool" type: "pool" pool: AVE kernelsize: 2 stride: 2 } bottom: "conv1" top: "pool" }
"""
    result = upgrade_text(text)
    assert net(result.text) == net("""
        name: "v0"
        layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" param { lr_mult: 1 }
                convolution_param { num_output: 4 kernel_size: 3 pad: 2 } }
        layer { name: "pool" type: "Pooling" bottom: "conv1" top: "pool"
                pooling_param { pool: AVE kernel_size: 2 stride: 2 } }""")
    assert not comments(text) - comments(result.text)
    messages = [i.message for i in result.issues]
    assert any("`state` removed" in m for m in messages)
    assert any("`new_num`" in m and 'layer "conv1"' in m for m in messages)
    assert any("`dropout_ratio` is not a parameter of V0 layer type 'conv'" in m for m in messages)
    assert any("`name` of layer \"conv1\" removed" in m for m in messages)
    lines = [i.range.start.line + 1 for i in result.issues]
    assert lines == sorted(lines) and 4 in lines and 17 in lines


def test_v0_unknown_type_and_unknown_blob_are_reported():
    text = 'layers { layer { name: "w" type: "nosuch" } bottom: "nowhere" top: "w" }\n'
    result = upgrade_text(text)
    assert 'type: "nosuch"' in result.text
    messages = " | ".join(i.message for i in result.issues)
    assert "unknown V0 layer type 'nosuch'" in messages
    assert "bottom 'nowhere' of layer \"w\" comes from no earlier layer" in messages


def test_data_transformation_and_blob_specs():
    text = """\
layers {
  name: "d"
  type: 5
  data_param { source: "x" scale: 0.1 mirror: true }
  transform_param { scale: 0.2  # replaced
  }
  top: "d"
}
layers { name: "w" type: WINDOW_DATA top: "w" }
layers {
  name: "c" type: CONVOLUTION
  param: "shared_w"  # share
  param: "shared_b"
  blob_share_mode: PERMISSIVE
  blobs_lr: [1, 2]
  weight_decay: 1
  bottom: "d" top: "c"
}
layers { name: "n" type: NONE }
"""
    result = upgrade_text(text)
    assert net(result.text) == net("""
        layer { name: "d" type: "Data" top: "d" data_param { source: "x" }
                transform_param { scale: 0.1 mirror: true } }
        layer { name: "w" type: "WindowData" top: "w" transform_param { } window_data_param { } }
        layer { name: "c" type: "Convolution" bottom: "d" top: "c"
                param { name: "shared_w" share_mode: PERMISSIVE lr_mult: 1 decay_mult: 1 }
                param { name: "shared_b" lr_mult: 2 } }
        layer { name: "n" type: "" }""")
    assert '    name: "shared_w"  # share' in result.text.splitlines()
    assert [i.range.start.line + 1 for i in result.issues] == [5]  # the replaced transform_param.scale


def test_unknown_v1_type_is_reported_and_kept():
    result = upgrade_text('layers { name: "x" type: CROP bottom: "a" top: "x" }\n')
    assert 'type: "CROP"' in result.text
    assert "'CROP' is not a BVLC V1 layer type" in result.issues[0].message


def test_input_shape_and_input_without_shape():
    result = upgrade_text('input: "a"\ninput: "b"\ninput_shape { dim: 1 dim: 2 }\ninput_shape { dim: 3 }\n'
                          'input_dim: 5\nlayers { name: "r" type: RELU bottom: "a" top: "r" }\n')
    assert net(result.text) == net('layer { name: "input" type: "Input" top: "a" top: "b" input_param { '
                                   'shape { dim: 1 dim: 2 } shape { dim: 3 } } }\n'
                                   'layer { name: "r" type: "ReLU" bottom: "a" top: "r" }')
    assert ["input_shape wins" in i.message for i in result.issues] == [True]

    bare = 'name: "x"\ninput: "data"  # o\nlayers { name: "r" type: RELU bottom: "data" top: "data" }\n'
    result = upgrade_text(bare)
    msg = net(result.text)
    assert not msg.input and [layer.type for layer in msg.layer] == ["ReLU"]
    assert "# o" in result.text
    assert "Caffe drops it" in result.issues[0].message


def test_v2_input_header_and_batch_norm():
    text = """\
name: "bn"   # a V2 net
input: "data"
input_dim: 1
input_dim: 3
input_dim: 4
input_dim: 4
layer {
  name: "bn1"
  type: "BatchNorm"
  bottom: "data"
  top: "bn1"
  # frozen statistics
  param { lr_mult: 0 }
  param { lr_mult: 0 }
  param { lr_mult: 0 }  # third
}
layer { name: "bn2" type: "BatchNorm" bottom: "bn1" top: "bn2" param { lr_mult: 0 } }
"""
    result = upgrade_text(text)
    msg = net(result.text)
    assert [layer.type for layer in msg.layer] == ["Input", "BatchNorm", "BatchNorm"]
    assert len(msg.layer[1].param) == 0 and len(msg.layer[2].param) == 1
    assert not comments(text) - comments(result.text)
    assert result.text.startswith('name: "bn"   # a V2 net\n')  # untouched lines keep their bytes
    assert 'layer { name: "bn2" type: "BatchNorm" bottom: "bn1" top: "bn2" param { lr_mult: 0 } }\n' in result.text
    assert "BatchNorm" in result.issues[0].message


def test_current_net_is_left_alone():
    text = 'name: "ok"\nlayer {\n    name: "r"   # odd spacing\n  type: "ReLU"\n}\n'
    result = upgrade_text(text)
    assert (result.text, result.changed, result.issues) == (text, False, [])


def test_crlf_is_kept():
    result = upgrade_text('name: "x"\r\nlayers {\r\n  name: "r"  # c\r\n  type: RELU\r\n}\r\n')
    assert result.text == 'name: "x"\r\nlayer {\r\n  name: "r"  # c\r\n  type: "ReLU"\r\n}\r\n'


def test_syntax_error_raises():
    with pytest.raises(UpgradeError) as info:
        upgrade_text("layers {\n  name: 'x'\n")
    assert info.value.issues and info.value.issues[0].range.start.line == 0


MIXED = """\
# header comment
name: "mixed"
input: "data"        # the image
input_dim: 1
input_dim: 3
input_dim: 8
input_dim: 8

layer {   # a V2 layer, left alone
    name:  "conv1"    # odd spacing kept
    type: "Convolution"
    bottom: "data"
    top: "conv1"
    convolution_param { num_output: 4 kernel_size: 3 }
}

# an old block
layers {
  name: "relu1"  # in place
  type: RELU
  bottom: "conv1"
  top: "conv1"
}
layers { name: "ip" type: INNER_PRODUCT
  blobs_lr: 1   # weights
  blobs_lr: 2   # bias
  weight_decay: 1 weight_decay: 0
  inner_product_param { num_output: 2 }
  bottom: "conv1" top: "ip" }
   layer { name: "sm" type: "Softmax" bottom: "ip" top: "sm" }  # V2 again
# the end
"""


def test_mixed_fix_rewrites_only_the_old_blocks():
    diags = check_text(MIXED).diagnostics
    v201 = next(d for d in diags if d.code == "V201")
    fix = v201.fixes[0]
    assert fix.title == "Upgrade the old `layers` blocks to V2 `layer`" and fix.safe
    edits = upgrade_old_blocks(MIXED)
    assert list(fix.edits) == edits
    doc = parse(MIXED)
    old = [f.range for f in doc.root.fields if f.name == "layers"]
    header = [f.range for f in doc.root.fields if f.name in ("input", "input_dim")]
    allowed = old + [type(header[0])(header[0].start, header[-1].end)]
    for e in edits:
        a, b = e.range.start.offset, e.range.end.offset
        if a == b:  # an insertion: only the new Input layer
            assert "Input" in e.new_text and "layers" not in e.new_text
            continue
        # a replacement stays inside an old block or the input header (whole lines of it)
        assert any(r.start.offset - r.start.column <= a and b <= r.end.offset + 1 for r in allowed), e
    new = apply_edits(MIXED, edits)
    kept = ["# header comment\nname: \"mixed\"\n",
            "layer {   # a V2 layer, left alone\n    name:  \"conv1\"    # odd spacing kept\n    type: \"Convolution\"\n"
            "    bottom: \"data\"\n    top: \"conv1\"\n    convolution_param { num_output: 4 kernel_size: 3 }\n}\n\n"
            "# an old block\n",
            '   layer { name: "sm" type: "Softmax" bottom: "ip" top: "sm" }  # V2 again\n# the end\n']
    for piece in kept:
        assert piece in new
    assert not comments(MIXED) - comments(new)
    after = codes(new)
    assert "V201" not in after and "V202" not in after
    assert not [c for c in after if c[0] in "SF"]
    msg = net(new)
    assert [layer.name for layer in msg.layer] == ["input", "conv1", "relu1", "ip", "sm"]
    assert [(p.lr_mult, p.decay_mult) for p in msg.layer[3].param] == [(1, 1), (2, 0)]
    assert upgrade_old_blocks(new) == []


def test_mixed_upgrade_text_reports_caffe_refusal():
    result = upgrade_text(MIXED)
    assert "refuses" in result.issues[0].message
    assert result.text == apply_edits(MIXED, upgrade_old_blocks(MIXED))


def test_v202_offers_the_whole_upgrade():
    diags = check_text(V1_COMMENTED).diagnostics
    v202 = next(d for d in diags if d.code == "V202")
    fix = v202.fixes[0]
    assert fix.safe  # a V1 net loses nothing: `lint --fix` applies it (V0: only with --unsafe-fixes)
    assert apply_edits(V1_COMMENTED, list(fix.edits)) == upgrade_text(V1_COMMENTED).text
    assert "V202" not in codes(upgrade_text(V1_COMMENTED).text)


def test_no_fix_when_nothing_parses():
    assert upgrade_old_blocks("layers { name: 'x'\n") == []
