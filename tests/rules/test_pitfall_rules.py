"""Pitfall rules P601-P607: each fires on the mistake, at the exact place, and not on the corrected net.

Nets are built from small pieces so each test shows the one thing it is about.
The corpus test at the end holds the rules to real nets: none of them may
give an error on a net protoc and Caffe accept.
"""

from __future__ import annotations

import re
from pathlib import Path


from prototxt_ls.analysis.check import check_text
from prototxt_ls.diagnostics import Severity
from prototxt_ls.rules import catalog_pitfalls

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BUNDLED_PROTO = Path(__file__).resolve().parents[2] / "prototxt_ls" / "schema" / "caffe.proto"


# ---------------------------------------------------------------------- helpers
def layer(name: str, type_: str, bottoms=(), tops=(), extra: str = "") -> str:
    out = [f'layer {{\n  name: "{name}"\n  type: "{type_}"\n']
    out += [f'  bottom: "{b}"\n' for b in bottoms]
    out += [f'  top: "{t}"\n' for t in tops]
    return "".join(out) + extra + "}\n"


def inp(name: str, *dims: int) -> str:
    shape = " ".join(f"dim: {d}" for d in dims)
    return layer(name, "Input", tops=[name], extra=f"  input_param {{ shape {{ {shape} }} }}\n")


def conv(name: str, bottom: str, n: int, k: int = 3, pad: int = 1, extra: str = "") -> str:
    return layer(name, "Convolution", [bottom], [name],
                 f"  convolution_param {{ num_output: {n} kernel_size: {k} pad: {pad} }}\n" + extra)


def relu(name: str, blob: str) -> str:
    return layer(name, "ReLU", [blob], [blob])


def head(blob: str) -> str:
    """A classifier and its loss: the design rules judge nets that train."""
    return (inp("label", 1) + layer("score", "InnerProduct", [blob], ["score"],
                                    "  inner_product_param { num_output: 10 }\n")
            + layer("loss", "SoftmaxWithLoss", ["score", "label"], ["loss"]))


def diags(text: str, code: str, **kw):
    return [d for d in check_text(text, **kw).diagnostics if d.code == code]


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int, int]:
    """(line, start column, end column), 0-based, of the nth occurrence of ``needle``."""
    starts = [m.start() for m in re.finditer(re.escape(needle), text)]
    offset = starts[nth]
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return line, col, col + len(needle)


def at(d) -> tuple[int, int, int]:
    r = d.range
    assert r.start.line == r.end.line
    return r.start.line, r.start.column, r.end.column


def quoted(name: str) -> str:
    return f'"{name}"'


# ---------------------------------------------------------------------- P601
def _widen_net(after: str, widen: str | None = None) -> str:
    widen = widen or layer("up", "Deconvolution", ["c1"], ["up"],
                           "  convolution_param { num_output: 256 kernel_size: 4 stride: 2 pad: 1 }\n")
    return inp("data", 1, 256, 10, 10) + conv("c1", "data", 256) + widen + after + head("up")


def test_p601_deconvolution_upsampling_into_relu():
    text = _widen_net(relu("relu", "up"))
    [d] = diags(text, "P601")
    assert d.severity == Severity.WARNING
    assert at(d) == span(text, quoted("up"), 0)
    assert "4x" in d.message and "1x256x10x10 -> 1x256x20x20" in d.message and "area x4" in d.message
    assert "'relu'" in d.message


def test_p601_channel_widening_at_same_resolution():
    text = (inp("data", 1, 256, 10, 10) + conv("c1", "data", 256) + conv("up", "c1", 512) + relu("r", "up")
            + head("up"))
    [d] = diags(text, "P601")
    assert at(d) == span(text, quoted("up"), 0)
    assert "2x" in d.message and "1x256x10x10 -> 1x512x10x10" in d.message and "channels x2" in d.message


def test_p601_widening_into_a_merge_through_split_and_crop():
    other = conv("skip", "c1", 256, k=3, pad=1) + layer(
        "big", "Deconvolution", ["skip"], ["big"],
        "  convolution_param { num_output: 256 kernel_size: 4 stride: 2 pad: 1 }\n")
    after = (other + layer("crop", "Crop", ["up", "big"], ["upc"])
             + layer("sum", "Eltwise", ["upc", "big"], ["sum"]))
    text = _widen_net(after)
    found = diags(text, "P601")
    assert {at(d) for d in found} == {span(text, quoted("up"), 0), span(text, quoted("big"), 0)}
    assert all("Eltwise 'sum' merges it" in d.message for d in found)


def test_p601_normalized_before_the_nonlinearity_is_fine():
    text = _widen_net(layer("bn", "BatchNorm", ["up"], ["up"]) + layer("sc", "Scale", ["up"], ["up"])
                      + relu("relu", "up"))
    assert diags(text, "P601") == []


def test_p601_lrn_and_mvn_count_as_normalization():
    for norm in ("LRN", "MVN"):
        text = _widen_net(layer("n", norm, ["up"], ["un"]) + relu("relu", "un"))
        assert diags(text, "P601") == [], norm


def test_p601_widening_followed_by_a_convolution_is_not_judged_here():
    text = _widen_net(conv("c2", "up", 64) + relu("relu", "c2"))
    assert diags(text, "P601") == []


def test_p601_vgg_doubling_after_pooling_restores_the_size():
    pool = layer("pool", "Pooling", ["c1"], ["pool"], "  pooling_param { pool: MAX kernel_size: 2 stride: 2 }\n")
    text = (inp("data", 1, 3, 32, 32) + conv("c0", "data", 64) + relu("r0", "c0") + conv("c1", "c0", 64)
            + relu("r1", "c1") + pool + conv("c2", "pool", 128) + relu("r2", "c2") + head("c2"))
    assert diags(text, "P601") == []


def test_p601_the_stem_is_not_judged():
    text = inp("data", 1, 3, 32, 32) + conv("c0", "data", 64) + relu("r0", "c0") + head("c0")
    assert diags(text, "P601") == []


def test_p601_squeeze_then_expand_depends_on_the_lookback(monkeypatch):
    text = (inp("data", 1, 3, 32, 32) + conv("c0", "data", 64) + relu("r0", "c0")
            + conv("squeeze", "c0", 16, k=1, pad=0) + relu("rs", "squeeze")
            + conv("expand", "squeeze", 64, k=1, pad=0) + relu("re", "expand") + head("expand"))
    assert diags(text, "P601") == []  # the expand restores what the squeeze removed
    monkeypatch.setattr(catalog_pitfalls, "WIDENING_LOOKBACK", 0)
    [d] = diags(text, "P601")
    assert at(d) == span(text, quoted("expand"), 0) and "4x" in d.message


def test_p601_factor_is_configurable(monkeypatch):
    text = _widen_net(relu("relu", "up"))
    monkeypatch.setattr(catalog_pitfalls, "WIDENING_FACTOR", 8.0)
    assert diags(text, "P601") == []


def test_p601_deploy_nets_are_not_judged():
    text = (inp("data", 1, 256, 10, 10) + conv("c1", "data", 256)
            + layer("up", "Deconvolution", ["c1"], ["up"],
                    "  convolution_param { num_output: 256 kernel_size: 4 stride: 2 pad: 1 }\n")
            + relu("relu", "up"))
    assert diags(text, "P601") == []


def test_p601_seen_in_both_phases_is_reported_once():
    data = ('layer {\n  name: "d"\n  type: "Input"\n  top: "data"\n  include { phase: TRAIN }\n'
            '  input_param { shape { dim: 2 dim: 256 dim: 10 dim: 10 } }\n}\n'
            'layer {\n  name: "d"\n  type: "Input"\n  top: "data"\n  include { phase: TEST }\n'
            '  input_param { shape { dim: 1 dim: 256 dim: 10 dim: 10 } }\n}\n')
    text = (data + conv("c1", "data", 256) + layer("up", "Deconvolution", ["c1"], ["up"],
            "  convolution_param { num_output: 256 kernel_size: 4 stride: 2 pad: 1 }\n")
            + relu("relu", "up") + head("up").replace("dim: 1 }", "dim: 2 }"))
    found = diags(text, "P601")
    assert len(found) == 1 and "2x256x10x10" in found[0].message  # TRAIN's message


# ---------------------------------------------------------------------- P602
def _product(a: str, b: str, before: str = "") -> str:
    return (inp("data", 1, 8, 6, 6) + conv("c1", "data", 8) + conv("c2", "data", 8) + before
            + layer("prod", "Eltwise", [a, b], ["prod"], "  eltwise_param { operation: PROD }\n") + head("prod"))


def test_p602_product_of_two_activations():
    text = _product("c1", "c2")
    [d] = diags(text, "P602")
    assert at(d) == span(text, "PROD")
    assert "'c1' (from Convolution 'c1')" in d.message and "'c2' (from Convolution 'c2')" in d.message


def test_p602_a_sigmoid_gate_is_fine():
    assert diags(_product("c1", "gate", layer("g", "Sigmoid", ["c2"], ["gate"])), "P602") == []


def test_p602_a_gate_seen_through_reshape_and_concat_is_fine():
    before = (layer("g1", "Sigmoid", ["c2"], ["s1"]) + layer("g2", "TanH", ["c2"], ["s2"])
              + layer("cat", "Concat", ["s1", "s2"], ["gate"], "  concat_param { axis: 1 }\n")
              + layer("sl", "Slice", ["gate"], ["half", "rest"], "  slice_param { axis: 1 slice_point: 8 }\n"))
    assert diags(_product("c1", "half", before), "P602") == []


def test_p602_a_mask_from_the_data_gets_no_gradient():
    text = _product("c1", "mask", inp("mask", 1, 8, 6, 6))
    assert diags(text, "P602") == []


def test_p602_sum_is_fine():
    assert diags(_product("c1", "c2").replace("PROD", "SUM"), "P602") == []


# ---------------------------------------------------------------------- P603
def _chain(n: int, norm: bool = False, coeff: str = "") -> str:
    out, prev = [inp("data", 1, 8, 6, 6)], "data"
    for i in range(1, n + 1):
        out.append(conv(f"b{i}", prev, 8))
        if norm:
            out.append(layer(f"bn{i}", "BatchNorm", [f"b{i}"], [f"b{i}"]))
        out.append(layer(f"res{i}", "Eltwise", [prev, f"b{i}"], [f"res{i}"], coeff))
        prev = f"res{i}"
    return "".join(out) + head(prev)


def test_p603_four_unnormalized_residual_sums():
    text = _chain(6)
    [d] = diags(text, "P603")  # once per chain, at the 4th
    assert d.severity == Severity.INFO
    assert at(d) == span(text, quoted("res4"), 0)
    assert "to 4 " in d.message


def test_p603_batchnorm_in_the_branches_is_fine():
    assert diags(_chain(6, norm=True), "P603") == []


def test_p603_three_sums_stay_below_the_threshold(monkeypatch):
    text = _chain(3)
    assert diags(text, "P603") == []
    monkeypatch.setattr(catalog_pitfalls, "RESIDUAL_SUMS_WITHOUT_NORM", 3)
    [d] = diags(text, "P603")
    assert at(d) == span(text, quoted("res3"), 0)


def test_p603_averaging_sums_are_not_counted():
    assert diags(_chain(6, coeff="  eltwise_param { operation: SUM coeff: 0.5 coeff: 0.5 }\n"), "P603") == []


def test_p603_one_sum_of_many_branches_counts_each():
    branches = "".join(conv(f"b{i}", "data", 8) for i in range(5))
    text = (inp("data", 1, 8, 6, 6) + branches
            + layer("sum", "Eltwise", [f"b{i}" for i in range(5)], ["sum"]) + head("sum"))
    [d] = diags(text, "P603")
    assert at(d) == span(text, quoted("sum"), 0)


# ---------------------------------------------------------------------- P604
_CLS = inp("data", 1, 8, 6, 6) + inp("label", 1) + layer(
    "fc", "InnerProduct", ["data"], ["fc"], "  inner_product_param { num_output: 10 }\n")


def test_p604_multinomial_logistic_loss_on_raw_scores():
    text = _CLS + layer("loss", "MultinomialLogisticLoss", ["fc", "label"], ["loss"])
    [d] = diags(text, "P604")
    assert at(d) == span(text, quoted("fc"), 2)  # the loss's first bottom
    assert "not a Softmax" in d.message


def test_p604_multinomial_logistic_loss_on_probabilities_is_fine():
    text = (_CLS + layer("prob", "Softmax", ["fc"], ["prob"])
            + layer("flat", "Flatten", ["prob"], ["pf"])
            + layer("loss", "MultinomialLogisticLoss", ["pf", "label"], ["loss"]))
    assert diags(text, "P604") == []


def test_p604_infogain_loss_applies_its_own_softmax_in_bvlc_master():
    infogain = inp("H", 1, 1, 10, 10)
    twice = _CLS + infogain + layer("prob", "Softmax", ["fc"], ["prob"]) + layer(
        "loss", "InfogainLoss", ["prob", "label", "H"], ["loss"])
    [d] = diags(twice, "P604")
    assert at(d) == span(twice, quoted("prob"), 2) and "applied twice" in d.message
    scores = _CLS + infogain + layer("loss", "InfogainLoss", ["fc", "label", "H"], ["loss"])
    assert diags(scores, "P604") == []


def test_p604_infogain_loss_wants_probabilities_before_axis_existed(tmp_path):
    text = BUNDLED_PROTO.read_text(encoding="utf-8")
    old = re.sub(r"(message InfogainLossParameter \{.*?)optional int32 axis = 2 \[default = 1\];", r"\1",
                 text, flags=re.DOTALL)
    assert old != text
    proto = tmp_path / "caffe.proto"
    proto.write_text(old, encoding="utf-8")
    net = _CLS + inp("H", 1, 1, 10, 10) + layer("loss", "InfogainLoss", ["fc", "label", "H"], ["loss"])
    [d] = diags(net, "P604", proto=proto)
    assert at(d) == span(net, quoted("fc"), 2) and "no `axis`" in d.message
    fixed = net.replace('bottom: "fc"\n  bottom: "label"', 'bottom: "prob"\n  bottom: "label"').replace(
        inp("H", 1, 1, 10, 10), inp("H", 1, 1, 10, 10) + layer("prob", "Softmax", ["fc"], ["prob"]))
    assert diags(fixed, "P604", proto=proto) == []


def test_p604_softmax_and_sigmoid_applied_twice():
    soft = _CLS + layer("prob", "Softmax", ["fc"], ["prob"]) + layer("loss", "SoftmaxWithLoss", ["prob", "label"], ["l"])
    [d] = diags(soft, "P604")
    assert at(d) == span(soft, quoted("prob"), 2)
    sig = (inp("data", 1, 8) + inp("target", 1, 4) + layer("fc", "InnerProduct", ["data"], ["fc"],
           "  inner_product_param { num_output: 4 }\n") + layer("s", "Sigmoid", ["fc"], ["sig"])
           + layer("loss", "SigmoidCrossEntropyLoss", ["sig", "target"], ["l"]))
    [d] = diags(sig, "P604")
    assert at(d) == span(sig, quoted("sig"), 1) and "sigmoid is applied twice" in d.message
    assert diags(sig.replace('bottom: "sig"\n  bottom: "target"', 'bottom: "fc"\n  bottom: "target"'), "P604") == []


# ---------------------------------------------------------------------- P605
def _two_losses(w1: str = "", w2: str = "") -> str:
    return (_CLS + layer("fc2", "InnerProduct", ["data"], ["fc2"], "  inner_product_param { num_output: 10 }\n")
            + layer("loss1", "SoftmaxWithLoss", ["fc", "label"], ["loss1"], w1)
            + layer("loss2", "SoftmaxWithLoss", ["fc2", "label"], ["loss2"], w2))


def test_p605_several_losses_with_default_weights():
    text = _two_losses()
    [d] = diags(text, "P605")
    assert d.severity == Severity.INFO
    assert at(d) == span(text, quoted("loss1"), 0)
    assert "1 x 'loss1' + 1 x 'loss2'" in d.message
    assert [r[1] for r in d.related] == ["loss layer 'loss2' (loss_weight 1 by default)"]


def test_p605_explicit_weights_are_fine():
    assert diags(_two_losses("  loss_weight: 1\n", "  loss_weight: 0.5\n"), "P605") == []


def test_p605_one_loss_is_fine():
    assert diags(_CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"]), "P605") == []


# ---------------------------------------------------------------------- P606
def test_p606_loss_weight_on_a_feature_map():
    text = (_CLS + layer("act", "ReLU", ["fc"], ["act"], "  loss_weight: 0.5\n")
            + layer("loss", "SoftmaxWithLoss", ["act", "label"], ["loss"]))
    [d] = diags(text, "P606")
    assert at(d) == span(text, "0.5")
    assert "10 values of 'act' (1x10)" in d.message and "gradient 0.5" in d.message


def test_p606_loss_weight_on_a_softmax_is_a_constant():
    text = _CLS + layer("prob", "Softmax", ["fc"], ["prob"], "  loss_weight: 1\n")
    [d] = diags(text, "P606")
    assert "constant" in d.message


def test_p606_loss_weight_on_accuracy_in_training():
    text = (_CLS + layer("acc", "Accuracy", ["fc", "label"], ["acc"], "  loss_weight: 1\n")
            + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"]))
    [d] = diags(text, "P606")
    assert "no backward pass" in d.message


def test_p606_fine_cases():
    zero = _CLS + layer("act", "ReLU", ["fc"], ["act"], "  loss_weight: 0\n")
    loss = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"], "  loss_weight: 2\n")
    pyloss = (_CLS + inp("target", 1, 10) + layer(
        "loss", "Python", ["fc", "target"], ["loss"],
        "  python_param { module: \"pyloss\" layer: \"EuclideanLossLayer\" }\n  loss_weight: 1\n"))
    for text in (zero, loss, pyloss):
        assert diags(text, "P606") == []


# ---------------------------------------------------------------------- P607
def test_p607_more_weights_than_tops():
    text = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"], "  loss_weight: 1\n  loss_weight: 2\n")
    [d] = diags(text, "P607")
    assert d.severity == Severity.ERROR
    line, start, end = span(text, "loss_weight: 1")
    assert at(d) == (line, start + len("loss_weight: "), end)  # the first value
    assert "2 loss_weight value(s) for 1 top(s)" in d.message


def test_p607_loss_layer_with_two_tops_and_no_weights():
    text = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss", "prob"])
    [d] = diags(text, "P607")
    assert d.severity == Severity.ERROR
    assert at(d) == span(text, quoted("prob"), 0)
    assert "separate Softmax" in d.message


def test_p607_softmax_with_loss_second_top_fails_even_with_two_weights(tmp_path):
    text = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss", "prob"],
                        "  loss_weight: 1\n  loss_weight: 0\n")
    [d] = diags(text, "P607")
    assert d.severity == Severity.ERROR and "2968" in d.message
    proto = tmp_path / "fork.proto"
    proto.write_text(BUNDLED_PROTO.read_text(encoding="utf-8"), encoding="utf-8")
    [d] = diags(text, "P607", proto=proto)
    assert d.severity == Severity.WARNING  # a fork may have fixed it


def test_p607_fine_cases():
    one = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], ["loss"], "  loss_weight: 1\n")
    auto_top = _CLS + layer("loss", "SoftmaxWithLoss", ["fc", "label"], [], "  loss_weight: 1\n")
    infogain_two = (_CLS + inp("H", 1, 1, 10, 10) + layer(
        "loss", "InfogainLoss", ["fc", "label", "H"], ["loss", "prob"], "  loss_weight: 1\n  loss_weight: 0\n"))
    for text in (one, auto_top, infogain_two):
        assert diags(text, "P607") == [], text


def test_p607_v1_nets():
    text = ('layers {\n  name: "fc"\n  type: INNER_PRODUCT\n  bottom: "data"\n  top: "fc"\n'
            '  inner_product_param { num_output: 10 }\n  loss_weight: 1\n  loss_weight: 1\n}\n')
    [d] = diags('input: "data"\ninput_dim: 1\ninput_dim: 8\ninput_dim: 1\ninput_dim: 1\n' + text, "P607")
    assert "2 loss_weight value(s) for 1 top(s)" in d.message


# ---------------------------------------------------------------------- the example file
def test_example_file_shows_every_pitfall():
    path = Path(__file__).resolve().parents[2] / "examples" / "pitfalls.prototxt"
    codes = {d.code for d in check_text(path.read_text(encoding="utf-8")).diagnostics}
    assert {"P601", "P602", "P603", "P604", "P605", "P606", "P607"} <= codes
