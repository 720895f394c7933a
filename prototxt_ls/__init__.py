"""prototxt-ls: a language server and linter for Caffe .prototxt files.

The analysis core (syntax, schema, rules) imports neither pygls nor torch, so
the command-line linter starts fast; the server and the simulator are thin
adapters layered on top of it.
"""

__version__ = "0.1.0"
