"""Deployment forks' layers: shapes under a fork's schema, G307 under BVLC's."""

from __future__ import annotations

import pytest

from layer_helpers import make_ctx
from prototxt_ls.analysis.check import check_text
from prototxt_ls.layers.registry import lookup
from prototxt_ls.layers.shapes import ShapeError
from prototxt_ls.schema.loader import load_schema_text

FORK_PROTO = """
syntax = "proto2";
package caffe;
message BlobShape { repeated int64 dim = 1 [packed = true]; }
message InputParameter { repeated BlobShape shape = 1; }
message InterpParameter {
  optional int32 height = 1 [default = 0];
  optional int32 width = 2 [default = 0];
  optional int32 zoom_factor = 3 [default = 1];
  optional int32 shrink_factor = 4 [default = 1];
  optional int32 pad_beg = 5 [default = 0];
  optional int32 pad_end = 6 [default = 0];
}
message UpsampleParameter {
  optional uint32 scale = 1 [default = 2];
  optional uint32 upsample_h = 4;
  optional uint32 upsample_w = 5;
  optional bool pad_out_h = 6 [default = false];
}
message ShuffleChannelParameter { optional uint32 group = 1 [default = 1]; }
message LayerParameter {
  optional string name = 1;
  optional string type = 2;
  repeated string bottom = 3;
  repeated string top = 4;
  optional InputParameter input_param = 143;
  optional InterpParameter interp_param = 200;
  optional UpsampleParameter upsample_param = 201;
  optional ShuffleChannelParameter shuffle_channel_param = 202;
}
message NetParameter { optional string name = 1; repeated LayerParameter layer = 100; }
"""


@pytest.fixture(scope="module")
def fork():
    schema = load_schema_text(FORK_PROTO, "fork.proto", use_cache=False)
    assert not schema.errors, schema.errors
    return schema


def shapes(schema, type_name, body, bottoms):
    ctx = make_ctx(type_name, body, bottoms, schema=schema)
    return lookup(type_name).shape(ctx)


@pytest.mark.parametrize("body, out", [
    ("interp_param { height: 65 width: 33 }", (1, 8, 65, 33)),
    ("interp_param { zoom_factor: 8 }", (1, 8, 121, 121)),  # 16 + 15 * 7
    ("interp_param { shrink_factor: 2 }", (1, 8, 8, 8)),  # (16 - 1) / 2 + 1
    ("interp_param { shrink_factor: 2 zoom_factor: 3 pad_beg: 0 pad_end: 1 }", (1, 8, 25, 25)),
])
def test_interp(fork, body, out):
    assert shapes(fork, "Interp", body, [(1, 8, 16, 16)]) == [out]


def test_interp_without_a_size_is_reported(fork):
    with pytest.raises(ShapeError) as exc:
        shapes(fork, "Interp", "", [(1, 8, 16, 16)])
    assert exc.value.code == "G308"


def test_interp_takes_the_reference_blob_size(fork):
    assert shapes(fork, "Interp", "", [(1, 8, 16, 16), (1, 3, 64, 48)]) == [(1, 8, 64, 48)]


@pytest.mark.parametrize("body, out", [
    ("", (2, 4, 20, 20)),
    ("upsample_param { scale: 4 }", (2, 4, 40, 40)),
    ("upsample_param { upsample_h: 19 upsample_w: 21 }", (2, 4, 19, 21)),
    ("upsample_param { pad_out_h: true }", (2, 4, 19, 20)),
])
def test_upsample(fork, body, out):
    assert shapes(fork, "Upsample", body, [(2, 4, 10, 10)]) == [out]


def test_shape_preserving_fork_layers(fork):
    assert shapes(fork, "ShuffleChannel", "shuffle_channel_param { group: 2 }", [(1, 8, 5, 5)]) == [(1, 8, 5, 5)]
    assert shapes(fork, "ReLU6", "", [(1, 8, 5, 5)]) == [(1, 8, 5, 5)]


NET = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
       '  input_param { shape { dim: 1 dim: 8 dim: 4 dim: 4 } }\n}\n'
       'layer {\n  name: "act"\n  type: "ReLU6"\n  bottom: "data"\n  top: "data"\n}\n')


def test_fork_type_under_bvlc_schema_is_unknown_to_caffe():
    (d,) = [d for d in check_text(NET).diagnostics if d.code == "G307"]
    assert d.severity == 1 and "deployment fork" in d.message and d.range.start.line == 8


def test_fork_type_under_a_fork_schema_is_fine(fork, tmp_path):
    proto = tmp_path / "fork.proto"
    proto.write_text(FORK_PROTO)
    res = check_text(NET, proto=proto)
    assert [d.code for d in res.diagnostics] == []
    assert res.net.phases["TEST"].blobs["data"] == (1, 8, 4, 4)


def test_ssd_type_under_bvlc_schema_names_the_fork():
    text = NET.replace('"ReLU6"', '"Normalize"')
    (d,) = [d for d in check_text(text).diagnostics if d.code == "G307"]
    assert "SSD" in d.message
