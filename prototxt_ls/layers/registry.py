"""The table of layer types: BVLC Caffe's, plus whatever forks register.

``lookup("Convolution")`` finds a spec by its V2 type string; ``by_v1`` and
``by_v0`` translate old nets' type names.  The BVLC families and the SSD
fork's layers register themselves when this module first loads them.
"""

from __future__ import annotations

from .spec import LayerSpec

_REGISTRY: dict[str, LayerSpec] = {}
_BY_V1: dict[str, str] = {}
_BY_V0: dict[str, str] = {}
_LOADED = False

#: Modules of this package that register layer types, BVLC's and the shipped forks'.
FAMILIES = ("data", "vision", "neuron", "common", "loss", "recurrent", "legacy", "ssd", "deploy_forks")


def register(spec: LayerSpec, replace: bool = False) -> LayerSpec:
    """Add a layer type; a fork may ``replace`` a BVLC entry on purpose."""
    if spec.type in _REGISTRY and not replace:
        raise ValueError(f"layer type {spec.type} registered twice")
    _REGISTRY[spec.type] = spec
    if spec.v1_name:
        _BY_V1[spec.v1_name] = spec.type
    for name in spec.v0_names:
        _BY_V0[name] = spec.type
    return spec


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    import importlib

    for family in FAMILIES:
        importlib.import_module(f"{__package__}.{family}")  # each module registers its types
    _LOADED = True


def lookup(type_name: str) -> LayerSpec | None:
    _ensure_loaded()
    return _REGISTRY.get(type_name)


def by_v1(enum_name: str) -> str | None:
    """V1 enum (``CONVOLUTION``) -> V2 type string (``Convolution``)."""
    _ensure_loaded()
    return _BY_V1.get(enum_name)


def by_v0(type_string: str) -> str | None:
    """V0 type string (``conv``) -> V2 type string (``Convolution``)."""
    _ensure_loaded()
    return _BY_V0.get(type_string)


def all_types() -> list[str]:
    _ensure_loaded()
    return sorted(_REGISTRY)
