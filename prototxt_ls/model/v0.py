"""Where V0 layers keep their parameters.

A V0 ``layer { }`` block is flat: ``num_output``, ``kernelsize``, ``pool``...
sit next to ``name`` and ``type`` instead of inside ``convolution_param`` and
friends.  For each V2 parameter message, this table maps its field names to
the V0 names Caffe's UpgradeV0LayerParameter reads them from.
"""

from __future__ import annotations

V0_PARAM_ALIASES: dict[str, dict[str, str]] = {
    "convolution_param": {"num_output": "num_output", "bias_term": "biasterm", "weight_filler": "weight_filler",
                          "bias_filler": "bias_filler", "pad": "pad", "kernel_size": "kernelsize",
                          "group": "group", "stride": "stride"},
    "inner_product_param": {"num_output": "num_output", "bias_term": "biasterm",
                            "weight_filler": "weight_filler", "bias_filler": "bias_filler"},
    "pooling_param": {"pool": "pool", "kernel_size": "kernelsize", "stride": "stride", "pad": "pad"},
    "dropout_param": {"dropout_ratio": "dropout_ratio"},
    "lrn_param": {"local_size": "local_size", "alpha": "alpha", "beta": "beta", "k": "k"},
    "data_param": {"source": "source", "batch_size": "batchsize", "rand_skip": "rand_skip"},
    "image_data_param": {"source": "source", "batch_size": "batchsize", "new_height": "new_height",
                         "new_width": "new_width", "shuffle": "shuffle_images"},
    "hdf5_data_param": {"source": "source", "batch_size": "batchsize"},
    "window_data_param": {"source": "source", "batch_size": "batchsize", "fg_threshold": "det_fg_threshold",
                          "bg_threshold": "det_bg_threshold", "fg_fraction": "det_fg_fraction",
                          "context_pad": "det_context_pad", "crop_mode": "det_crop_mode"},
    "concat_param": {"concat_dim": "concat_dim"},
    "infogain_loss_param": {"source": "source"},
    "hdf5_output_param": {"file_name": "hdf5_output_param"},
    "padding": {"pad": "pad"},
    "transform_param": {"scale": "scale", "mean_file": "meanfile", "crop_size": "cropsize", "mirror": "mirror"},
}
