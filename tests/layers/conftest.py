"""Layer-test helpers live in layer_helpers.py (import them from there, not from conftest)."""

from layer_helpers import layer_spec, macs_of, make_ctx, shape_error, shapes_of, weights_of  # noqa: F401
