"""Golden shapes, weight counts and MACs for classic nets written by ``netbuilder``.

Every expected value here is computed by hand from Caffe's formulas, not by
running the implementation:

- Convolution:   out = floor((in + 2*pad - (dilation*(k-1)+1)) / stride) + 1
- Pooling:       out = ceil((in + 2*pad - k) / stride) + 1 (round_mode CEIL, the default;
                 FLOOR rounds down), then minus 1 if pad > 0 and (out-1)*stride >= in + pad
- Deconvolution: out = stride*(in-1) + dilation*(k-1) + 1 - 2*pad
- parameter counts are the well-known published totals (AlexNet 60,965,224;
  VGG-16 138,357,544; ResNet-50 25,557,032; GoogLeNet 6,998,552; SqueezeNet 1.1
  1,235,496; FCN-32s 136,152,917), re-derived layer by layer where cheap.
"""

from __future__ import annotations

import functools
from math import prod
from pathlib import Path

import netbuilder
import pytest
from netbuilder import GOOGLENET_MODULES, Net, lenet

from prototxt_ls.analysis.check import check_text

ROOT = Path(__file__).resolve().parents[2]
SSD_PROTO = ROOT.parent / "shared" / "corpus" / "weiliu89__caffe" / "src" / "caffe" / "proto" / "caffe.proto"


# ---------------------------------------------------------------------- helpers
def analyse(text: str, proto: Path | None = None):
    """Check ``text``; fail on any error-level diagnostic; return the CheckResult."""
    res = check_text(text, proto=proto)
    errors = [f"{d.code} line {d.range.start.line + 1}: {d.message}" for d in res.diagnostics if d.severity == 1]
    assert not errors, "error-level diagnostics:\n" + "\n".join(errors)
    assert res.net is not None, "the text was not analysed as a net"
    return res


@functools.cache
def phase_of(builder: str, fmt: str = "v2", phase: str = "TEST", proto: Path | None = None, **kw):
    net: Net = getattr(netbuilder, builder)(**kw)
    res = analyse(getattr(net, f"to_{fmt}")(), proto)
    return res.net.phases[phase]


def blobs(phase) -> dict:
    return dict(phase.blobs)


def layer(phase, name: str):
    found = [lr for lr in phase.layers if lr.layer.name == name]
    assert found, f"no layer {name!r} in the {phase.phase} phase"
    return found[0]


def n_weights(phase, skip_types: tuple[str, ...] = ()) -> int:
    total = 0
    for lr in phase.layers:
        if lr.layer.type in skip_types:
            continue
        for w in lr.weights:
            assert w is not None and None not in w, f"layer {lr.layer.name}: unknown weight shape {w}"
            total += prod(w)
    return total


def assert_blobs(phase, expected: dict) -> None:
    got = blobs(phase)
    wrong = {k: (got.get(k, "<missing>"), v) for k, v in expected.items() if got.get(k, "<missing>") != v}
    assert not wrong, "blob: (got, expected): " + repr(wrong)


def conv_params(cin: int, cout: int, k: int, bias: bool = True, group: int = 1) -> int:
    return cout * (cin // group) * k * k + (cout if bias else 0)


# ---------------------------------------------------------------------- LeNet, three formats
LENET_BLOBS = {
    "data": (1, 1, 28, 28),
    "conv1": (1, 20, 24, 24),   # 28 - 5 + 1
    "pool1": (1, 20, 12, 12),   # ceil((24 - 2) / 2) + 1
    "conv2": (1, 50, 8, 8),     # 12 - 5 + 1
    "pool2": (1, 50, 4, 4),
    "ip1": (1, 500),            # InnerProduct flattens 50*4*4 = 800 inputs
    "ip2": (1, 10),
    "prob": (1, 10),
}
LENET_WEIGHTS = {
    "conv1": [(20, 1, 5, 5), (20,)],
    "conv2": [(50, 20, 5, 5), (50,)],
    "ip1": [(500, 800), (500,)],
    "ip2": [(10, 500), (10,)],
}
LENET_PARAMS = 431_080  # 520 + 25,050 + 400,500 + 5,010




def _lenet_checks(phase, skip: tuple[str, ...] = ()) -> None:
    assert_blobs(phase, {k: v for k, v in LENET_BLOBS.items() if k not in skip})
    for name, shapes in LENET_WEIGHTS.items():
        assert layer(phase, name).weights == shapes, name
    assert n_weights(phase) == LENET_PARAMS
    assert layer(phase, "conv1").macs == 20 * 24 * 24 * 25
    assert layer(phase, "ip1").layer.type == "InnerProduct"


@pytest.mark.parametrize("fmt, style", [
    ("v2", "V2"), ("v1", "V1"),
    pytest.param("v0", "V0"),
])
def test_lenet_every_format(fmt, style):
    res = analyse(getattr(lenet(), f"to_{fmt}")())
    assert res.style == style
    _lenet_checks(res.net.phases["TEST"])


def test_lenet_v0_up_to_the_softmax():
    """Every blob and weight of the V0 LeNet up to its softmax layer."""
    res = analyse(lenet().to_v0())
    assert res.style == "V0"
    _lenet_checks(res.net.phases["TEST"], skip=("prob",))
    assert layer(res.net.phases["TEST"], "prob").layer.type == "Softmax"


def _lenet_summary(fmt):
    phase = phase_of("lenet", fmt)
    return (blobs(phase),
            {lr.layer.name: (lr.layer.type, lr.tops, lr.weights, lr.macs) for lr in phase.layers
             if lr.layer.type != "Input"})


def test_lenet_v1_agrees_with_v2():
    """V1 and V2 spellings of one net give identical blobs, weights and MACs."""
    assert _lenet_summary("v1") == _lenet_summary("v2")


def test_lenet_v0_agrees_with_v2():
    assert _lenet_summary("v0") == _lenet_summary("v2")


def test_v0_flatten_uses_the_default_axis():
    net = Net("v0_flatten")
    net.input("data", (1, 2, 3, 4))
    net.flatten("flat", "data")
    net.add("Sigmoid", "sig", ["flat"])
    res = analyse(net.to_v0())
    assert res.style == "V0"
    assert_blobs(res.net.phases["TEST"], {"flat": (1, 24), "sig": (1, 24)})


def test_lenet_text_formats_look_right():
    """The writers really produce the old spellings the tests above rely on."""
    v1, v0 = lenet().to_v1(), lenet().to_v0()
    assert "type: CONVOLUTION" in v1 and "blobs_lr: 2.0" in v1 and 'input: "data"' in v1
    assert "layer {" not in v1.replace("layers {", "")
    assert 'type: "conv"' in v0 and "kernelsize: 5" in v0 and "input_dim: 28" in v0
    assert 'type: "innerproduct"' in v0 and "pool: MAX" in v0


# ---------------------------------------------------------------------- AlexNet
def test_alexnet_shapes_and_params():
    phase = phase_of("alexnet")
    assert_blobs(phase, {
        "conv1": (1, 96, 55, 55),     # (227 - 11) / 4 + 1
        "pool1": (1, 96, 27, 27),     # ceil((55 - 3) / 2) + 1
        "conv2": (1, 256, 27, 27),    # 27 + 4 - 5 + 1
        "pool2": (1, 256, 13, 13),
        "conv5": (1, 256, 13, 13),
        "pool5": (1, 256, 6, 6),
        "fc6": (1, 4096), "fc7": (1, 4096), "fc8": (1, 1000), "prob": (1, 1000),
    })
    # group 2 halves the input channels each filter sees
    assert layer(phase, "conv2").weights == [(256, 48, 5, 5), (256,)]
    assert layer(phase, "conv4").weights == [(384, 192, 3, 3), (384,)]
    assert layer(phase, "conv5").weights == [(256, 192, 3, 3), (256,)]
    assert layer(phase, "fc6").weights == [(4096, 9216), (4096,)]
    expected = (conv_params(3, 96, 11) + conv_params(96, 256, 5, group=2) + conv_params(256, 384, 3)
                + conv_params(384, 384, 3, group=2) + conv_params(384, 256, 3, group=2)
                + 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000)
    assert expected == 60_965_224
    assert n_weights(phase) == 60_965_224


def test_alexnet_macs():
    phase = phase_of("alexnet")
    assert layer(phase, "conv1").macs == 96 * 55 * 55 * (3 * 11 * 11) == 105_415_200
    assert layer(phase, "conv2").macs == 256 * 27 * 27 * (48 * 5 * 5) == 223_948_800
    assert layer(phase, "fc6").macs == 9216 * 4096


# ---------------------------------------------------------------------- VGG-16
VGG16_PARAMS = 138_357_544


def vgg16_macs(size: int = 224) -> int:
    total, cin, s = 0, 3, size
    for widths in ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)):
        for w in widths:
            total += s * s * w * cin * 9
            cin = w
        s //= 2
    return total + 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000


def test_vgg16_shapes_and_params():
    phase = phase_of("vgg16")
    assert_blobs(phase, {
        "conv1_1": (1, 64, 224, 224), "pool1": (1, 64, 112, 112), "pool2": (1, 128, 56, 56),
        "conv3_3": (1, 256, 56, 56), "pool3": (1, 256, 28, 28), "pool4": (1, 512, 14, 14),
        "conv5_3": (1, 512, 14, 14), "pool5": (1, 512, 7, 7),
        "fc6": (1, 4096), "fc7": (1, 4096), "fc8": (1, 1000), "prob": (1, 1000),
    })
    assert layer(phase, "fc6").weights == [(4096, 25088), (4096,)]
    assert n_weights(phase) == VGG16_PARAMS


def test_vgg16_macs():
    phase = phase_of("vgg16")
    got = sum(lr.macs for lr in phase.layers if lr.layer.type in ("Convolution", "InnerProduct"))
    assert got == vgg16_macs() == 15_470_264_320


# ---------------------------------------------------------------------- ResNet-50
def test_resnet50_shapes():
    phase = phase_of("resnet50")
    assert_blobs(phase, {
        "conv1": (1, 64, 112, 112),           # (224 + 6 - 7) / 2 + 1
        "pool1": (1, 64, 56, 56),             # ceil((112 - 3) / 2) + 1 = 56 (floor would give 55)
        "res2a_branch1": (1, 256, 56, 56),
        "res2c": (1, 256, 56, 56),
        "res3a_branch2a": (1, 128, 28, 28),   # the stride-2 1x1 conv
        "res3a": (1, 512, 28, 28),
        "res4f": (1, 1024, 14, 14),
        "res5c": (1, 2048, 7, 7),
        "pool5": (1, 2048, 1, 1),
        "fc1000": (1, 1000), "prob": (1, 1000),
    })


def test_resnet50_params():
    phase = phase_of("resnet50")
    assert layer(phase, "bn_conv1").weights == [(64,), (64,), (1,)]   # mean, variance, moving-average factor
    assert layer(phase, "scale_conv1").weights == [(64,), (64,)]      # gamma, beta
    assert layer(phase, "res2a_branch2c").weights == [(256, 64, 1, 1)]  # bias_term: false
    assert n_weights(phase, skip_types=("BatchNorm",)) == 25_557_032
    # 53 BatchNorm layers over 26,560 channels in all: 2 * 26,560 + 53
    assert sum(1 for lr in phase.layers if lr.layer.type == "BatchNorm") == 53
    assert n_weights(phase) - n_weights(phase, skip_types=("BatchNorm",)) == 53_173


def test_resnet50_as_published_has_a_conv1_bias():
    """KaimingHe's ResNet-50-deploy.prototxt leaves conv1's bias on (64 more parameters):
    25,557,096 learnable, which is also what BVLC Caffe reports for that file."""
    phase = phase_of("resnet50", conv1_bias=True)
    assert layer(phase, "conv1").weights == [(64, 3, 7, 7), (64,)]
    assert n_weights(phase, skip_types=("BatchNorm",)) == 25_557_096


# ---------------------------------------------------------------------- GoogLeNet
GOOGLENET_OUT = {name: (1, n1 + n3 + n5 + pp) for name, n1, _, n3, _, n5, pp in
                 (m for m in GOOGLENET_MODULES if not isinstance(m, str))}


def test_googlenet_inception_shapes():
    phase = phase_of("googlenet")
    assert_blobs(phase, {
        "conv1/7x7_s2": (1, 64, 112, 112),
        "pool1/3x3_s2": (1, 64, 56, 56),      # ceil((112 - 3) / 2) + 1 = 56; floor would give 55
        "conv2/3x3": (1, 192, 56, 56),
        "pool2/3x3_s2": (1, 192, 28, 28),     # ceil((56 - 3) / 2) + 1 = 28; floor would give 27
        "inception_3a/1x1": (1, 64, 28, 28),
        "inception_3a/3x3": (1, 128, 28, 28),
        "inception_3a/5x5": (1, 32, 28, 28),
        "inception_3a/pool": (1, 192, 28, 28),  # 3x3 stride 1 pad 1 keeps the size
        "inception_3a/output": (1, 256, 28, 28),
        "inception_3b/output": (1, 480, 28, 28),
        "pool3/3x3_s2": (1, 480, 14, 14),     # ceil((28 - 3) / 2) + 1 = 14
        "inception_4a/output": (1, 512, 14, 14),
        "inception_4d/output": (1, 528, 14, 14),
        "inception_4e/output": (1, 832, 14, 14),
        "pool4/3x3_s2": (1, 832, 7, 7),       # ceil((14 - 3) / 2) + 1 = 7
        "inception_5b/output": (1, 1024, 7, 7),
        "pool5/7x7_s1": (1, 1024, 1, 1),
        "loss3/classifier": (1, 1000), "prob": (1, 1000),
    })
    got = blobs(phase)
    for name, (n, c) in GOOGLENET_OUT.items():
        assert got[f"{name}/output"][:2] == (n, c), name


def test_googlenet_params():
    phase = phase_of("googlenet")
    # inception_3a on 192 channels: 1x1 64; 3x3_reduce 96 -> 3x3 128; 5x5_reduce 16 -> 5x5 32; pool_proj 32
    module = sum(prod(w) for lr in phase.layers if lr.layer.name.startswith("inception_3a/") for w in lr.weights)
    assert module == (conv_params(192, 64, 1) + conv_params(192, 96, 1) + conv_params(96, 128, 3)
                      + conv_params(192, 16, 1) + conv_params(16, 32, 5) + conv_params(192, 32, 1)) == 163_696
    assert n_weights(phase) == 6_998_552


# ---------------------------------------------------------------------- SqueezeNet 1.1
def test_squeezenet11_fire_modules():
    phase = phase_of("squeezenet11")  # its deploy input, 227x227
    assert_blobs(phase, {
        "conv1": (1, 64, 113, 113),           # (227 - 3) / 2 + 1
        "pool1": (1, 64, 56, 56),             # ceil((113 - 3) / 2) + 1
        "fire2/squeeze1x1": (1, 16, 56, 56),
        "fire2/expand3x3": (1, 64, 56, 56),
        "fire2/concat": (1, 128, 56, 56),
        "pool3": (1, 128, 28, 28),            # ceil((56 - 3) / 2) + 1 = 28; floor would give 27
        "fire5/concat": (1, 256, 28, 28),
        "pool5": (1, 256, 14, 14),
        "fire9/concat": (1, 512, 14, 14),
        "conv10": (1, 1000, 14, 14),
        "pool10": (1, 1000, 1, 1),            # global average pooling
        "prob": (1, 1000, 1, 1),
    })
    assert n_weights(phase) == 1_235_496


def test_squeezenet11_at_224():
    phase = phase_of("squeezenet11", size=224)
    assert_blobs(phase, {
        "conv1": (1, 64, 111, 111),           # floor((224 - 3) / 2) + 1
        "pool1": (1, 64, 55, 55),             # ceil((111 - 3) / 2) + 1
        "pool3": (1, 128, 27, 27),
        "pool5": (1, 256, 13, 13),
        "conv10": (1, 1000, 13, 13),
        "pool10": (1, 1000, 1, 1),
        "prob": (1, 1000, 1, 1),
    })
    assert n_weights(phase) == 1_235_496


# ---------------------------------------------------------------------- DenseNet
def test_densenet_blocks_grow_by_concat():
    phase = phase_of("densenet121_head")
    expected = {
        "conv1": (1, 64, 112, 112),
        "pool1": (1, 64, 56, 56),             # round_mode FLOOR: floor((112 + 2 - 3) / 2) + 1 = 56
        "conv2_1/x1": (1, 128, 56, 56),       # bottleneck 4k
        "conv2_1/x2": (1, 32, 56, 56),        # growth k
        "conv2_blk": (1, 128, 56, 56),        # transition halves 256
        "pool2": (1, 128, 28, 28),
        "conv3_1/x2": (1, 32, 28, 28),
        "concat_3_12": (1, 512, 28, 28),      # 128 + 12 * 32
    }
    expected.update({f"concat_2_{i}": (1, 64 + 32 * i, 56, 56) for i in range(1, 7)})
    assert_blobs(phase, expected)
    # learnable: conv1 + its Scale; per dense layer on c channels: Scale 2c + 1x1 128c + Scale 256 +
    # 3x3 128*9*32; transition: Scale 2*256 + 1x1 256*128
    def dense(c):
        return 2 * c + 128 * c + 2 * 128 + 128 * 9 * 32
    expected_params = (3 * 49 * 64 + 2 * 64 + sum(dense(64 + 32 * i) for i in range(6))
                       + 2 * 256 + 256 * 128 + sum(dense(128 + 32 * i) for i in range(12)))
    assert expected_params == 1_297_536
    assert n_weights(phase, skip_types=("BatchNorm",)) == expected_params


# ---------------------------------------------------------------------- FCN-32s
def test_fcn32s_deconv_and_crop():
    phase = phase_of("fcn32s")
    assert_blobs(phase, {
        "data": (1, 3, 500, 500),
        "conv1_1": (1, 64, 698, 698),         # 500 + 2*100 - 3 + 1
        "pool1": (1, 64, 349, 349),
        "pool2": (1, 128, 175, 175),          # ceil((349 - 2) / 2) + 1
        "pool3": (1, 256, 88, 88),
        "pool4": (1, 512, 44, 44),
        "pool5": (1, 512, 22, 22),
        "fc6": (1, 4096, 16, 16),             # 22 - 7 + 1
        "fc7": (1, 4096, 16, 16),
        "score_fr": (1, 21, 16, 16),
        "upscore": (1, 21, 544, 544),         # 32 * (16 - 1) + 64
        "score": (1, 21, 500, 500),           # cropped at offset 19 to data's size
    })
    assert layer(phase, "upscore").weights == [(21, 21, 64, 64)]  # [in, out/group, kh, kw], no bias
    assert n_weights(phase) == 136_152_917
    # a deconvolution costs (out/group) * k * k per *input* point
    assert layer(phase, "upscore").macs == (21 * 16 * 16) * (21 * 64 * 64)


# ---------------------------------------------------------------------- SSD300
@pytest.fixture
def ssd_proto() -> Path:
    if not SSD_PROTO.is_file():
        pytest.skip(f"{SSD_PROTO} (weiliu89's SSD schema) is not available")
    return SSD_PROTO


def test_ssd300_heads(ssd_proto):
    phase = phase_of("ssd300_head", proto=ssd_proto)
    loc4, conf4 = 38 * 38 * 4 * 4, 38 * 38 * 4 * 21      # 4 priors: ratios 1, 2, 1/2 + max_size
    loc7, conf7 = 19 * 19 * 6 * 4, 19 * 19 * 6 * 21      # 6 priors: ratios 1, 2, 1/2, 3, 1/3 + max_size
    assert_blobs(phase, {
        "pool3": (1, 256, 38, 38),                         # ceil((75 - 2) / 2) + 1
        "conv4_3": (1, 512, 38, 38),
        "conv4_3_norm": (1, 512, 38, 38),
        "conv4_3_norm_mbox_loc": (1, 16, 38, 38),
        "conv4_3_norm_mbox_loc_perm": (1, 38, 38, 16),
        "conv4_3_norm_mbox_loc_flat": (1, loc4),
        "conv4_3_norm_mbox_conf": (1, 84, 38, 38),
        "conv4_3_norm_mbox_conf_flat": (1, conf4),
        "conv4_3_norm_mbox_priorbox": (1, 2, 23104),
        "pool5": (1, 512, 19, 19),                         # 3x3 stride 1 pad 1
        "fc6": (1, 1024, 19, 19),                          # dilation 6: extent 13, pad 6
        "fc7": (1, 1024, 19, 19),
        "fc7_mbox_loc_flat": (1, loc7),
        "fc7_mbox_priorbox": (1, 2, loc7),
        "mbox_loc": (1, loc4 + loc7),
        "mbox_conf": (1, conf4 + conf7),
        "mbox_priorbox": (1, 2, loc4 + loc7),
        "mbox_conf_reshape": (1, (conf4 + conf7) // 21, 21),
        "mbox_conf_softmax": (1, (conf4 + conf7) // 21, 21),
        "mbox_conf_flatten": (1, conf4 + conf7),
    })
    assert loc4 == 23104
    assert layer(phase, "conv4_3_norm").weights == [(512,)]   # channel_shared: false
    out = blobs(phase)["detection_out"]
    # Caffe reshapes to [1, 1, 1, 7] at setup; the row count is known only after NMS
    assert out is not None and len(out) == 4 and out[:2] == (1, 1) and out[3] == 7 and out[2] in (1, None)


# ---------------------------------------------------------------------- pooling and window arithmetic
def _single(layer_fn, size, channels: int = 8, proto: Path | None = None):
    net = Net("single")
    x = net.input("data", (1, channels, *size) if isinstance(size, tuple) else (1, channels, size, size))
    layer_fn(net, x)
    return analyse(net.to_v2(), proto).net.phases["TEST"]


@pytest.mark.parametrize("size, kernel, stride, pad, round_mode, out", [
    (112, 3, 2, 0, None, 56),       # GoogLeNet pool1/3x3_s2: ceil((112 - 3) / 2) + 1
    (112, 3, 2, 0, "CEIL", 56),
    (112, 3, 2, 0, "FLOOR", 55),    # floor(54.5) + 1
    (112, 3, 2, 1, "FLOOR", 56),    # DenseNet pool1: floor((112 + 2 - 3) / 2) + 1
    (112, 3, 2, 1, "CEIL", 57),     # ceil(55.5) + 1 = 57, last window starts at 112 < 113: kept
    (5, 2, 3, 1, None, 2),          # ceil(5/3) + 1 = 3, but (3-1)*3 = 6 >= 5 + 1: clipped to 2
    (13, 3, 2, 0, None, 6),         # exact division: both modes agree
    (13, 3, 2, 0, "FLOOR", 6),
])
def test_pooling_round_mode(size, kernel, stride, pad, round_mode, out):
    phase = _single(lambda net, x: net.pool("pool", x, "MAX", kernel, stride=stride, pad=pad,
                                            round_mode=round_mode), size)
    assert blobs(phase)["pool"] == (1, 8, out, out)


def test_global_pooling_ignores_kernel_and_size():
    phase = _single(lambda net, x: net.pool("gap", x, "AVE", global_pooling=True), (7, 9), channels=1024)
    assert blobs(phase)["gap"] == (1, 1024, 1, 1)


@pytest.mark.parametrize("size, kernel, stride, pad, dilation, out", [
    (224, 3, 2, 0, 1, 111),         # floor(221 / 2) + 1
    (224, 7, 2, 3, 1, 112),
    (19, 3, 1, 6, 6, 19),           # SSD fc6: dilated extent 13
    (10, 3, 1, 0, 2, 6),            # extent 5
])
def test_convolution_floor(size, kernel, stride, pad, dilation, out):
    phase = _single(lambda net, x: net.conv("conv", x, 16, kernel, stride=stride, pad=pad, dilation=dilation),
                    size, channels=4)
    assert blobs(phase)["conv"] == (1, 16, out, out)
    lr = layer(phase, "conv")
    assert lr.weights == [(16, 4, kernel, kernel), (16,)]
    assert lr.macs == 16 * out * out * 4 * kernel * kernel


@pytest.mark.parametrize("size, kernel, stride, pad, out", [
    (16, 64, 32, 0, 544),           # FCN-32s upscore
    (16, 4, 2, 1, 32),              # the usual 2x upsampling: 2*15 + 4 - 2
    (7, 3, 1, 1, 7),
])
def test_deconvolution(size, kernel, stride, pad, out):
    phase = _single(lambda net, x: net.deconv("up", x, 6, kernel, stride=stride, pad=pad, group=2),
                    size, channels=4)
    assert blobs(phase)["up"] == (1, 6, out, out)
    assert layer(phase, "up").weights == [(4, 3, kernel, kernel), (6,)]


def test_non_square_windows():
    def build(net, x):
        net.conv("conv", x, 8, (3, 5), stride=(1, 2), pad=(1, 0))
        net.pool("pool", x, "AVE", (2, 4), stride=(2, 4))
    phase = _single(build, (20, 30), channels=2)
    assert blobs(phase)["conv"] == (1, 8, 20, 13)   # H: 20 + 2 - 3 + 1; W: floor((30 - 5) / 2) + 1
    assert blobs(phase)["pool"] == (1, 2, 10, 8)    # H: ceil(18 / 2) + 1; W: ceil(26 / 4) + 1
    assert layer(phase, "conv").weights == [(8, 2, 3, 5), (8,)]


def test_flatten_reshape_concat_eltwise():
    def build(net, x):
        a = net.conv("a", x, 6, 3, pad=1)
        b = net.conv("b", x, 10, 1)
        net.concat("cat", [a, b])
        net.eltwise("sum", [a, a])
        net.flatten("flat", "cat")
        net.reshape("rs", "cat", (0, 4, -1))
        net.ip("fc", "cat", 5)
        net.softmax("prob", "fc")
        net.crop("crop", ["cat", "a"], axis=1, offset=0)
    phase = _single(build, 6, channels=3)
    assert_blobs(phase, {
        "cat": (1, 16, 6, 6), "sum": (1, 6, 6, 6), "flat": (1, 576), "rs": (1, 4, 144),
        "fc": (1, 5), "prob": (1, 5), "crop": (1, 6, 6, 6),
    })
    assert layer(phase, "fc").weights == [(5, 576), (5,)]


def test_lrn_dropout_relu_keep_shapes():
    def build(net, x):
        y = net.relu("relu", x)
        y = net.dropout("drop", y)
        net.lrn("norm", y)
        net.bn_scale("_x", "norm", in_place=False, bn_name="bn", scale_name="scale")
    phase = _single(build, 9, channels=12)
    assert_blobs(phase, {"data": (1, 12, 9, 9), "norm": (1, 12, 9, 9), "bn": (1, 12, 9, 9)})
    assert layer(phase, "bn").weights == [(12,), (12,), (1,)]
    assert layer(phase, "scale").weights == [(12,), (12,)]


def test_training_net_with_loss_and_phases():
    net = Net("train")
    net.inputs({"data": (4, 1, 28, 28), "label": (4,)})
    x = net.ip("ip", "data", 10)
    net.softmax_loss("loss", [x, "label"], phase="TRAIN")
    net.accuracy("accuracy", [x, "label"], phase="TEST")
    res = analyse(net.to_v2())
    train, test = res.net.phases["TRAIN"], res.net.phases["TEST"]
    assert blobs(train)["loss"] == ()
    assert "accuracy" not in blobs(train)
    assert blobs(test)["accuracy"] == ()
    assert "loss" not in blobs(test)
    assert layer(train, "ip").weights == [(10, 784), (10,)]
