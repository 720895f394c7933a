"""Where each layer of a net is written, for turning log findings into diagnostics.

Why: a log names layers ("conv1") and auto-inserted splits
("ip2_ip2_0_split"); a diagnostic needs a line and column in the prototxt.  A
small brace-aware scan (comments and strings respected) is enough here and
keeps the log command independent of the full parser and schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[{}]|[\w.+-]+|:|\n|[^\s]')


@dataclass
class LayerPos:
    name: str
    type: str
    line: int  # 1-based, of the `name` field (else the block)
    column: int  # 1-based


def scan_layers(text: str) -> list[LayerPos]:
    layers: list[LayerPos] = []
    stack: list[str] = []
    line, line_start = 1, 0
    prev_ident: tuple[str, int, int] | None = None
    current: LayerPos | None = None
    expecting: tuple[str, int, int] | None = None  # ("name"/"type", line, col) waiting for a value
    for m in _TOKEN.finditer(text):
        tok = m.group()
        col = m.start() - line_start + 1
        if tok == "\n":
            line, line_start = line + 1, m.end()
            continue
        if tok.startswith("#") or tok == ":":
            continue
        if tok == "{":
            name = prev_ident[0] if prev_ident else ""
            if not stack and name in ("layer", "layers"):
                current = LayerPos("", "", prev_ident[1], prev_ident[2])
                layers.append(current)
            stack.append(name)
            prev_ident = expecting = None
            continue
        if tok == "}":
            if stack:
                stack.pop()
            prev_ident = expecting = None
            continue
        if expecting is not None and current is not None:
            value = tok[1:-1] if tok[:1] in "\"'" else tok
            if expecting[0] == "name" and not current.name:
                current.name, current.line, current.column = value, expecting[1], expecting[2]
            elif expecting[0] == "type" and not current.type:
                current.type = value
            expecting = prev_ident = None
            continue
        in_layer_body = current is not None and (len(stack) == 1 or (len(stack) == 2 and stack[1] == "layer"))
        if in_layer_body and tok in ("name", "type"):
            expecting = (tok, line, col)
        prev_ident = (tok, line, col)
    return layers


class NetMap:
    def __init__(self, text: str, path: str = "<net>") -> None:
        self.path = path
        self.layers = scan_layers(text)

    def find(self, name: str) -> LayerPos | None:
        for lay in self.layers:
            if lay.name == name:
                return lay
        # Caffe's split layers: <blob>_<layer>_<index>_split -> the layer that made the blob
        m = re.match(r"^(.*)_(\d+)_split$", name)
        if m is not None:
            best = None
            for lay in self.layers:
                if lay.name and m[1].endswith("_" + lay.name) and (best is None or len(lay.name) > len(best.name)):
                    best = lay
            return best
        return None

    def by_type(self, type_name: str) -> list[LayerPos]:
        return [lay for lay in self.layers if lay.type == type_name]
