"""Fatal lines (``F...]``, ``Check failed``, ``Cannot copy param``, ``Unknown layer type``).

Why: a crashed run's cause is one line among thousands, and it rarely names the
layer in a way that points back into the prototxt.  This picks the layer out of
the message when it names one (``layer 'fc8'``), by type for an unknown type,
or else the layer Caffe was creating when net set-up failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parser import FatalLine

_NAMED = re.compile(r"""[Ll]ayer ['"]([^'"]+)['"]|[Ll]ayer (?:name )?([\w./-]+)[,:]""")
_UNKNOWN_TYPE = re.compile(r"Unknown layer type: ([\w.-]+)")


@dataclass
class FatalFinding:
    line: int
    message: str
    layer: str | None  # a layer name, when known
    layer_type: str | None  # for "Unknown layer type"

    @property
    def code(self) -> str:
        return "L910"

    def to_json(self) -> dict:
        return {"line": self.line, "message": self.message, "layer": self.layer, "type": self.layer_type}


def classify(lines: list[FatalLine]) -> list[FatalFinding]:
    out = []
    for f in lines:
        msg = f.message
        layer_type = None
        layer = None
        if (u := _UNKNOWN_TYPE.search(msg)) is not None:
            layer_type = u[1]
        elif (n := _NAMED.search(msg)) is not None:
            layer = n[1] or n[2]
        if layer is None and layer_type is None:
            layer = f.creating_layer
        out.append(FatalFinding(f.line, msg, layer, layer_type))
    return out
