"""Tests of the Schema -> protobuf bridge, with protoc (grpcio-tools) as oracle.

The comparison strips ``source_code_info`` (we never produce it) and applies
exactly one normalisation, which is representation-only:

* ``syntax``: protoc leaves the field unset for proto2 files, we write
  "proto2" explicitly; an unset syntax *means* proto2, so "proto2" is cleared
  before comparing.

File-level options (``option java_package = ...``) are not part of the
Schema model, so the synthetic file below has none.  Everything else must be
byte-for-byte what protoc writes, including
``json_name`` (we compute it like protoc) and default values (protoc's
canonical forms: unescaped strings, decimal integers, shortest round-trip
floats).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, text_format

from prototxt_ls.schema import loader
from prototxt_ls.schema.descriptors import default_value, file_descriptor_proto, message_class
from prototxt_ls.schema.loader import load_schema, load_schema_text

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BVLC = CORPUS / "BVLC__caffe" / "src" / "caffe" / "proto" / "caffe.proto"
SSD = CORPUS / "weiliu89__caffe" / "src" / "caffe" / "proto" / "caffe.proto"
ALEXNET = CORPUS / "BVLC__caffe" / "models" / "bvlc_alexnet" / "train_val.prototxt"
BUNDLED = Path(loader.__file__).with_name("caffe.proto")

# Everything the bridge writes, in one file protoc also accepts.
SYNTHETIC = r'''
syntax = "proto2";
package demo.sub;

message Outer {
  enum Kind { option allow_alias = true; A = 0; B = 1; ALSO_B = 1 [deprecated = true]; NEG = -3; HEX = 0x10; }
  message Inner { optional Kind kind = 1 [default = ALSO_B]; optional Inner self = 2; }
  optional Inner inner = 1;
  optional Outer.Inner inner2 = 2;
  optional .demo.sub.Outer.Kind k = 3 [default = NEG];
  repeated int32 packed_ints = 4 [packed = true];
  optional int32 old = 5 [deprecated = true, default = 0x1F];
  optional int64 oct = 6 [default = 017];
  optional double d1 = 7 [default = 1.];
  optional double d2 = 8 [default = -inf];
  optional float f3 = 9 [default = nan];
  optional float f4 = 10 [default = 1e-8];
  optional float f5 = 11 [default = .5];
  optional double d6 = 12 [default = 10];
  optional string s = 13 [default = "a\"b\n\x41\101 \u00e9" 'c'];
  optional bytes b = 14 [default = "\001\xff\n'\\"];
  optional bool flag = 15 [default = true];
  optional sint64 big = 16 [default = -9223372036854775808];
  optional uint64 ubig = 17 [default = 18446744073709551615];
  optional double tiny = 18 [default = 0.1];
  optional float third = 19 [default = 0.333333333333333333];
  oneof choice { int32 ci = 20; string cs = 21; Inner cm = 22; }
  required fixed32 req_field = 23;
  repeated Kind kinds = 24 [packed = true];
  oneof second { double x_y_z = 25; }
  extensions 100 to 199;
  extensions 1000 to max;
  reserved 30, 40 to 45;
  reserved "gone", "old_name";
}
enum TopLevel { ZERO = 0; reserved 5, 7 to 9, -3 to -1, 100 to max; reserved "X"; }
message Scoping {
  message Outer { optional int32 shadow = 1; }
  optional Outer o = 1;
  optional .demo.sub.Outer real = 2;
  optional sub.Outer via_pkg = 3;
  optional TopLevel t = 4;
}
'''


def protoc_descriptor(proto: Path, tmp_path: Path) -> descriptor_pb2.FileDescriptorProto:
    pytest.importorskip("grpc_tools")
    out = tmp_path / "set.pb"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"--descriptor_set_out={out}",
                    f"--proto_path={proto.parent}", str(proto)],
                   check=True, capture_output=True)
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    (fdp,) = fds.file
    fdp.ClearField("source_code_info")
    return fdp


def ours(proto: Path) -> descriptor_pb2.FileDescriptorProto:
    schema = load_schema(proto, use_cache=False)
    assert schema.errors == []
    fdp = file_descriptor_proto(schema)
    assert fdp.syntax == "proto2"
    fdp.ClearField("syntax")  # the one normalisation: see the module docstring
    return fdp


def assert_same(expected, actual) -> None:
    # Compare text dumps first so a failure shows a readable diff.
    assert text_format.MessageToString(actual) == text_format.MessageToString(expected)
    assert actual == expected


def corpus_schema_paths() -> list[str]:
    expect = CORPUS / "EXPECT.tsv"
    if not expect.is_file():
        return ["<no corpus>"]
    rows = [line.split("\t") for line in expect.read_text().splitlines()[1:]]
    return [row[0] for row in rows if len(row) > 1 and row[1] == "schema"]


def test_synthetic_file_matches_protoc(tmp_path):
    proto = tmp_path / "demo.proto"
    proto.write_text(SYNTHETIC)
    assert_same(protoc_descriptor(proto, tmp_path), ours(proto))


@pytest.mark.parametrize("rel", corpus_schema_paths())
def test_corpus_schema_matches_protoc(rel, tmp_path):
    proto = CORPUS / rel
    if not proto.is_file():
        pytest.skip("corpus not available")
    assert_same(protoc_descriptor(proto, tmp_path), ours(proto))


def test_reference_schema_matches_protoc(tmp_path):
    if not BVLC.is_file():
        pytest.skip("corpus not available")
    assert_same(protoc_descriptor(BVLC, tmp_path), ours(BVLC))


def test_bundled_schema_matches_protoc(tmp_path):
    if not BUNDLED.is_file():
        pytest.skip("bundled caffe.proto not written yet")
    assert_same(protoc_descriptor(BUNDLED, tmp_path), ours(BUNDLED))


@pytest.mark.parametrize("type_name, kind, written, stored", [
    ("float", "scalar", "1.", "1"),
    ("float", "scalar", "1e-8", "1e-08"),
    ("double", "scalar", "-.5", "-0.5"),
    ("double", "scalar", "0x10", "16"),
    ("double", "scalar", "-inf", "-inf"),
    ("float", "scalar", "0.333333333333", "0.333333343"),
    ("double", "scalar", "0.333333333333", "0.333333333333"),
    ("float", "scalar", "1e39", "inf"),
    ("int32", "scalar", "-0x1F", "-31"),
    ("uint32", "scalar", "010", "8"),
    ("string", "scalar", "'it\\'s'", "it's"),
    ("string", "scalar", '"a" "b"', "ab"),
    ("bytes", "scalar", '"\\x00a\\n"', "\\000a\\n"),
    ("bool", "scalar", "false", "false"),
    ("caffe.Phase", "enum", "TEST", "TEST"),
])
def test_default_value_forms(type_name, kind, written, stored):
    assert default_value(type_name, kind, written) == stored


def test_unresolved_fields_are_left_out_so_the_rest_builds():
    schema = load_schema_text("message A { optional Nope x = 1; optional int32 y = 2; }",
                              use_cache=False)
    assert schema.errors
    cls = message_class(schema, "A")
    assert [f.name for f in cls.DESCRIPTOR.fields] == ["y"]


def test_message_class_is_cached_per_schema_and_pools_are_separate():
    text = "package caffe; message NetParameter { optional string name = 1; }"
    one = load_schema_text(text, use_cache=False)
    two = load_schema_text(text.replace("name = 1", "name = 2"), use_cache=False)
    a, b = message_class(one, "NetParameter"), message_class(two, ".caffe.NetParameter")
    assert message_class(one, "caffe.NetParameter") is a
    assert a is not b
    assert a.DESCRIPTOR.fields_by_name["name"].number == 1
    assert b.DESCRIPTOR.fields_by_name["name"].number == 2
    with pytest.raises(KeyError):
        message_class(one, "Missing")


def test_alexnet_decodes_with_text_format_and_round_trips_binary():
    if not (BVLC.is_file() and ALEXNET.is_file()):
        pytest.skip("corpus not available")
    schema = load_schema(BVLC, use_cache=False)
    net_cls = message_class(schema, "NetParameter")
    net = text_format.Parse(ALEXNET.read_text(), net_cls())
    assert net.name == "AlexNet"
    conv = next(layer for layer in net.layer if layer.type == "Convolution")
    assert conv.convolution_param.num_output == 96
    assert conv.convolution_param.bias_term is True  # default from the schema
    again = net_cls()
    again.ParseFromString(net.SerializeToString())
    assert again == net


def test_ssd_schema_knows_prior_box():
    if not SSD.is_file():
        pytest.skip("corpus not available")
    schema = load_schema(SSD, use_cache=False)
    assert schema.message("PriorBoxParameter") is not None
    field = schema.message("LayerParameter").fields["prior_box_param"]
    assert field.type_name == "caffe.PriorBoxParameter" and field.kind == "message"
    layer = message_class(schema, "LayerParameter")()
    text_format.Parse('type: "PriorBox" prior_box_param { min_size: 30 aspect_ratio: 2 }', layer)
    assert list(layer.prior_box_param.min_size) == [30]
