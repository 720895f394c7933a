"""What replaced the fields of old V0/V1 layers, for hints in V2 nets.

When a V2 ``layer`` block uses a field that only ``layers`` blocks had, the
checker reports F107 and quotes the replacement from this table.  Fields of
V1LayerParameter/V0LayerParameter not listed here get a generic hint.
"""

from __future__ import annotations

REPLACEMENTS = {
    "blobs_lr": "one `param { lr_mult: ... }` block per weight blob",
    "weight_decay": "`param { decay_mult: ... }` (one block per weight blob)",
    "blob_share_mode": "`param { share_mode: ... }`",
    "kernelsize": "`kernel_size` inside convolution_param or pooling_param",
    "biasterm": "`bias_term` inside convolution_param or inner_product_param",
    "num_output": "`num_output` inside convolution_param or inner_product_param",
    "pad": "`pad` inside convolution_param or pooling_param",
    "stride": "`stride` inside convolution_param or pooling_param",
    "group": "`group` inside convolution_param",
    "pool": "`pool` inside pooling_param",
    "dropout_ratio": "`dropout_ratio` inside dropout_param",
    "local_size": "`local_size` inside lrn_param",
    "alpha": "`alpha` inside lrn_param",
    "beta": "`beta` inside lrn_param",
    "weight_filler": "`weight_filler` inside convolution_param or inner_product_param",
    "bias_filler": "`bias_filler` inside convolution_param or inner_product_param",
    "source": "`source` inside data_param (or image_data_param / hdf5_data_param)",
    "batchsize": "`batch_size` inside data_param",
    "meanfile": "`mean_file` inside transform_param",
    "scale": "`scale` inside transform_param",
    "cropsize": "`crop_size` inside transform_param",
    "mirror": "`mirror` inside transform_param",
    "layer": "the fields of the inner V0 `layer { }` block, moved up into this block",
}

#: Fields that exist only in V0/V1 layer messages (not in LayerParameter).
V1_MESSAGE = "caffe.V1LayerParameter"
V0_MESSAGE = "caffe.V0LayerParameter"
