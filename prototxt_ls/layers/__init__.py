"""The one registry of layer knowledge.

Per layer type: its parameter message, bottom/top counts, whether it can run
in place, its output-shape function, its weight-blob shapes and its
multiply-accumulate count.  Shapes, graph checks, weight checks, hover and
the simulator all read it; adding a type (a fork's, say) is one
:func:`~prototxt_ls.layers.registry.register` call.
"""
