"""Views of a parsed file as Caffe sees it: a net of layers (any format) or a solver."""
