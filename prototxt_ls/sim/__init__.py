"""The simulator: build a Caffe net as a PyTorch module, run it, time it.

Everything under ``prototxt_ls.sim`` may import torch (the optional ``sim``
extra); nothing outside it does.  Layer knowledge stays in ``layers/``: each
registry entry names its torch builder (``LayerSpec.torch``), resolved here
only when a net is built.
"""
