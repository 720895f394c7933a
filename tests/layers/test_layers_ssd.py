"""SSD fork layers (weiliu89/caffe): Normalize, Permute, PriorBox,
DetectionOutput, MultiBoxLoss, with SSD's own caffe.proto.

Golden values are SSD300 (VGG16, VOC, 21 classes) and MobileNet-SSD.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from layer_helpers import layer_spec, make_ctx

import prototxt_ls.layers.ssd  # noqa: F401  (registers the family)
from prototxt_ls.layers.shapes import ShapeError
from prototxt_ls.schema.loader import load_schema

SSD_PROTO = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "weiliu89__caffe" / "src" / "caffe" / \
    "proto" / "caffe.proto"


@pytest.fixture(scope="module")
def ssd_schema():
    if not SSD_PROTO.is_file():
        pytest.skip("SSD's caffe.proto (../shared/corpus/weiliu89__caffe) is not available")
    schema = load_schema(SSD_PROTO)
    assert schema.message("PriorBoxParameter") is not None
    return schema


@pytest.fixture
def ssd(ssd_schema):
    """shape/weights/error helpers bound to SSD's schema."""

    class Helpers:
        @staticmethod
        def ctx(type_name, body="", bottoms=None, n_tops=None):
            return make_ctx(type_name, body, bottoms, n_tops, schema=ssd_schema)

        def shapes(self, type_name, body="", bottoms=None, n_tops=None):
            return layer_spec(type_name).shape(self.ctx(type_name, body, bottoms, n_tops))

        def weights(self, type_name, body="", bottoms=None, n_tops=None):
            return layer_spec(type_name).weights(self.ctx(type_name, body, bottoms, n_tops))

        def error(self, type_name, body="", bottoms=None, n_tops=None) -> ShapeError:
            with pytest.raises(ShapeError) as exc:
                self.shapes(type_name, body, bottoms, n_tops)
            return exc.value

    return Helpers()


@pytest.mark.parametrize("type_name,param,counts,loss", [
    ("Normalize", "norm_param", ((1, 1), (1, 1)), False),
    ("Permute", "permute_param", ((1, 1), (1, 1)), False),
    ("PriorBox", "prior_box_param", ((2, 2), (1, 1)), False),
    ("DetectionOutput", "detection_output_param", ((3, 4), (1, 1)), False),
    ("MultiBoxLoss", "multibox_loss_param", ((4, 4), (1, 1)), True),
])
def test_specs(type_name, param, counts, loss):
    spec = layer_spec(type_name)
    assert (spec.param, (spec.bottoms, spec.tops), spec.is_loss) == (param, counts, loss)
    assert spec.category == "ssd" and not spec.in_place and spec.doc


# ------------------------------------------------------------------ Normalize
def test_normalize_conv4_3(ssd):
    body = 'norm_param { across_spatial: false scale_filler { type: "constant" value: 20 } channel_shared: false }'
    assert ssd.shapes("Normalize", body, [(1, 512, 38, 38)]) == [(1, 512, 38, 38)]
    assert ssd.weights("Normalize", body, [(1, 512, 38, 38)]) == [(512,)]


def test_normalize_channel_shared_by_default(ssd):
    # channel_shared defaults to true: one scale, a blob with no axes.
    assert ssd.weights("Normalize", "", [(1, 512, 38, 38)]) == [()]


def test_normalize_needs_two_axes(ssd):
    e = ssd.error("Normalize", "", [(512,)])
    assert (e.code, e.index) == ("H401", 0)


def test_normalize_legacy_accessors(ssd):
    assert ssd.error("Normalize", "", [(1, 2, 3, 4, 5)]).code == "H401"


# ------------------------------------------------------------------ Permute
def test_permute_nchw_to_nhwc(ssd):
    body = "permute_param { order: 0 order: 2 order: 3 order: 1 }"
    assert ssd.shapes("Permute", body, [(1, 16, 38, 38)]) == [(1, 38, 38, 16)]


def test_permute_unlisted_axes_follow(ssd):
    assert ssd.shapes("Permute", "permute_param { order: 2 }", [(1, 16, 38, 38)]) == [(38, 1, 16, 38)]
    assert ssd.shapes("Permute", "", [(1, 16, 38, 38)]) == [(1, 16, 38, 38)]
    assert ssd.shapes("Permute", "permute_param { order: 1 }", [None]) == [None]


def test_permute_order_out_of_range(ssd):
    e = ssd.error("Permute", "permute_param { order: 0 order: 4 }", [(1, 16, 38, 38)])
    assert (e.code, e.field, e.index) == ("H406", "order", 1)


def test_permute_duplicate_order(ssd):
    e = ssd.error("Permute", "permute_param { order: 0 order: 2 order: 2 }", [(1, 16, 38, 38)])
    assert (e.code, e.field, e.index) == ("H407", "order", 2)


# ------------------------------------------------------------------ PriorBox
def pb(body: str) -> str:
    return f"prior_box_param {{ {body} }}"


SSD300_PRIORS = [
    # (feature map, prior_box_param body, boxes per cell)
    (38, "min_size: 30 max_size: 60 aspect_ratio: 2 flip: true clip: false step: 8", 4),
    (19, "min_size: 60 max_size: 111 aspect_ratio: 2 aspect_ratio: 3 flip: true step: 16", 6),
    (10, "min_size: 111 max_size: 162 aspect_ratio: 2 aspect_ratio: 3 flip: true step: 32", 6),
    (5, "min_size: 162 max_size: 213 aspect_ratio: 2 aspect_ratio: 3 flip: true step: 64", 6),
    (3, "min_size: 213 max_size: 264 aspect_ratio: 2 flip: true step: 100", 4),
    (1, "min_size: 264 max_size: 315 aspect_ratio: 2 flip: true step: 300", 4),
]


def test_ssd300_conv4_3_norm_mbox_priorbox(ssd):
    body = pb("min_size: 30.0 max_size: 60.0 aspect_ratio: 2 flip: true clip: false variance: 0.1 "
              "variance: 0.1 variance: 0.2 variance: 0.2 step: 8 offset: 0.5")
    # 1 + {2, 1/2} aspect ratios and 1 extra for max_size: 4 priors; 38*38*4*4 = 23104.
    assert ssd.shapes("PriorBox", body, [(1, 512, 38, 38), (1, 3, 300, 300)]) == [(1, 2, 23104)]


@pytest.mark.parametrize("size,body,priors", SSD300_PRIORS)
def test_ssd300_prior_boxes(ssd, size, body, priors):
    assert ssd.shapes("PriorBox", pb(body), [(1, 256, size, size), (1, 3, 300, 300)]) == \
        [(1, 2, size * size * priors * 4)]


def test_ssd300_has_8732_priors(ssd):
    total = sum(ssd.shapes("PriorBox", pb(body), [(1, 256, s, s), (1, 3, 300, 300)])[0][2]
                for s, body, _ in SSD300_PRIORS)
    assert total == 8732 * 4


def test_mobilenet_ssd_first_priorbox_without_max_size(ssd):
    body = pb("min_size: 60 aspect_ratio: 2 flip: true clip: false variance: 0.1 variance: 0.1 "
              "variance: 0.2 variance: 0.2 offset: 0.5")
    assert ssd.shapes("PriorBox", body, [(1, 512, 19, 19), (1, 3, 300, 300)]) == [(1, 2, 19 * 19 * 3 * 4)]


def test_prior_box_duplicate_ratios_and_no_flip(ssd):
    # 0.5 is already there as the flip of 2; 1 is always there.
    body = pb("min_size: 30 aspect_ratio: 2 aspect_ratio: 0.5 aspect_ratio: 1 flip: true")
    assert ssd.shapes("PriorBox", body, [(1, 8, 2, 2), (1, 3, 300, 300)]) == [(1, 2, 2 * 2 * 3 * 4)]
    body = pb("min_size: 30 aspect_ratio: 2 aspect_ratio: 3 flip: false")
    assert ssd.shapes("PriorBox", body, [(1, 8, 2, 2), (1, 3, 300, 300)]) == [(1, 2, 2 * 2 * 3 * 4)]


def test_prior_box_float_rounding_of_ratios(ssd):
    # 1/3 stored as a C float and 0.333333 differ by less than 1e-6: one ratio, not two.
    body = pb("min_size: 30 aspect_ratio: 3 aspect_ratio: 0.333333 flip: true")
    assert ssd.shapes("PriorBox", body, [(1, 8, 1, 1), (1, 3, 300, 300)]) == [(1, 2, 3 * 4)]


def test_prior_box_several_min_sizes(ssd):
    # (1 + 2 flipped ratios) x 2 min sizes + 2 max sizes = 8
    body = pb("min_size: 30 min_size: 60 max_size: 60 max_size: 100 aspect_ratio: 2")
    assert ssd.shapes("PriorBox", body, [(1, 8, 3, 4), (1, 3, 300, 300)]) == [(1, 2, 3 * 4 * 8 * 4)]


def test_prior_box_unknown_feature_map(ssd):
    assert ssd.shapes("PriorBox", pb("min_size: 30"), [(1, 8, None, 4), None]) == [(1, 2, None)]
    assert ssd.shapes("PriorBox", pb("min_size: 30"), [None, None]) == [(1, 2, None)]


@pytest.mark.parametrize("body,code,field,index", [
    ("", "G308", None, None),
    ("min_size: 30 min_size: 0", "H407", "min_size", 1),
    ("min_size: 30 max_size: 60 max_size: 90", "H407", "max_size", 1),
    ("min_size: 30 min_size: 60 max_size: 90", "H407", "max_size", None),
    ("min_size: 30 max_size: 30", "H407", "max_size", 0),
    ("min_size: 30 variance: 0.1 variance: 0.2", "H407", "variance", None),
    ("min_size: 30 variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 variance: 0.3", "H407", "variance", 4),
    ("min_size: 30 variance: 0", "H407", "variance", 0),
    ("min_size: 30 variance: 0.1 variance: -0.1 variance: 0.2 variance: 0.2", "H407", "variance", 1),
    ("min_size: 30 img_size: 300 img_h: 300 img_w: 300", "H407", "img_size", None),
    ("min_size: 30 img_h: 300", "H407", "img_h", None),
    ("min_size: 30 img_size: 0", "H407", "img_size", None),
    ("min_size: 30 step: 8 step_w: 8 step_h: 8", "H407", "step", None),
    ("min_size: 30 step_h: 8 step_w: 0", "H407", "step_w", None),
    ("min_size: 30 step: -8", "H407", "step", None),
])
def test_prior_box_parameter_checks(ssd, body, code, field, index):
    e = ssd.error("PriorBox", pb(body), [(1, 8, 3, 3), (1, 3, 300, 300)])
    assert (e.code, e.field, e.index) == (code, field, index)


def test_prior_box_empty_feature_map(ssd):
    e = ssd.error("PriorBox", pb("min_size: 30"), [(1, 8, 0, 3), (1, 3, 300, 300)])
    assert (e.code, e.index) == ("H401", 0)


def test_prior_box_legacy_accessors(ssd):
    assert ssd.error("PriorBox", pb("min_size: 30"), [(1, 8, 3, 3, 3), (1, 3, 300, 300)]).code == "H401"


# ------------------------------------------------------------------ DetectionOutput
DET = ("detection_output_param { num_classes: 21 share_location: true background_label_id: 0 "
       "nms_param { nms_threshold: 0.45 top_k: 400 } code_type: CENTER_SIZE keep_top_k: 200 "
       "confidence_threshold: 0.01 }")
SSD300_HEADS = [(1, 34928), (1, 183372), (1, 2, 34928)]


def test_detection_output_ssd300(ssd):
    # 8732 priors: 8732 x 4 locations, 8732 x 21 confidences.
    assert ssd.shapes("DetectionOutput", DET, SSD300_HEADS) == [(1, 1, None, 7)]


def test_detection_output_per_class_locations(ssd):
    body = "detection_output_param { num_classes: 3 share_location: false }"
    assert ssd.shapes("DetectionOutput", body, [(2, 10 * 3 * 4), (2, 30), (1, 2, 40)]) == [(1, 1, None, 7)]


def test_detection_output_needs_num_classes(ssd):
    assert ssd.error("DetectionOutput", "", SSD300_HEADS).code == "G308"


def test_detection_output_nms_checks(ssd):
    e = ssd.error("DetectionOutput", "detection_output_param { num_classes: 21 nms_param { nms_threshold: -1 } }",
                  SSD300_HEADS)
    assert (e.code, e.field) == ("H407", "nms_param")
    e = ssd.error("DetectionOutput", "detection_output_param { num_classes: 21 nms_param { eta: 1.5 } }",
                  SSD300_HEADS)
    assert (e.code, e.field) == ("H407", "nms_param")


def test_detection_output_prediction_counts(ssd):
    e = ssd.error("DetectionOutput", DET, [(1, 34928), (1, 8732 * 20), (1, 2, 34928)])
    assert (e.code, e.index) == ("H401", 1)
    e = ssd.error("DetectionOutput", DET, [(1, 34924), (1, 183372), (1, 2, 34928)])
    assert (e.code, e.index) == ("H401", 0)
    e = ssd.error("DetectionOutput", DET, [(2, 34928), (1, 183372), (1, 2, 34928)])
    assert (e.code, e.index) == ("H401", 1)


# ------------------------------------------------------------------ MultiBoxLoss
MBL = ("multibox_loss_param { loc_loss_type: SMOOTH_L1 conf_loss_type: SOFTMAX loc_weight: 1 num_classes: 21 "
       "share_location: true match_type: PER_PREDICTION overlap_threshold: 0.5 use_prior_for_matching: true "
       "background_label_id: 0 use_difficult_gt: true neg_pos_ratio: 3 neg_overlap: 0.5 code_type: CENTER_SIZE "
       "ignore_cross_boundary_bbox: false mining_type: MAX_NEGATIVE } loss_param { normalization: VALID }")
TRAIN_HEADS = [(32, 34928), (32, 183372), (1, 2, 34928), (1, 1, None, 8)]


def test_multibox_loss_ssd300(ssd):
    assert ssd.shapes("MultiBoxLoss", MBL, TRAIN_HEADS) == [()]


def test_multibox_loss_needs_num_classes(ssd):
    assert ssd.error("MultiBoxLoss", "", TRAIN_HEADS).code == "G308"
    e = ssd.error("MultiBoxLoss", "multibox_loss_param { num_classes: 0 }", TRAIN_HEADS)
    assert (e.code, e.field) == ("H407", "num_classes")


def test_multibox_loss_deprecated_do_neg_mining_must_agree(ssd):
    body = "multibox_loss_param { num_classes: 21 do_neg_mining: false }"
    e = ssd.error("MultiBoxLoss", body, TRAIN_HEADS)
    assert (e.code, e.field) == ("H407", "do_neg_mining")
    body = "multibox_loss_param { num_classes: 21 do_neg_mining: false mining_type: NONE }"
    assert ssd.shapes("MultiBoxLoss", body, TRAIN_HEADS) == [()]


def test_multibox_loss_mining_needs_shared_locations(ssd):
    body = "multibox_loss_param { num_classes: 21 share_location: false }"
    e = ssd.error("MultiBoxLoss", body, [(32, 8732 * 21 * 4), (32, 183372), (1, 2, 34928), (1, 1, 5, 8)])
    assert (e.code, e.field) == ("H407", "share_location")


def test_multibox_loss_background_label_in_range(ssd):
    e = ssd.error("MultiBoxLoss", "multibox_loss_param { num_classes: 21 background_label_id: 21 }", TRAIN_HEADS)
    assert (e.code, e.field) == ("H407", "background_label_id")


def test_multibox_loss_prediction_checks(ssd):
    e = ssd.error("MultiBoxLoss", MBL, [(32, 34928), (16, 183372), (1, 2, 34928), (1, 1, 4, 8)])
    assert (e.code, e.index) == ("H401", 1)
    e = ssd.error("MultiBoxLoss", MBL, [(32, 34928), (32, 183371), (1, 2, 34928), (1, 1, 4, 8)])
    assert (e.code, e.index) == ("H401", 1)
