"""Random well-formed prototxt (every construct, comments and odd whitespace anywhere).

For each generated text that parses: formatting is a fixed point, keeps the
syntax tree (fields, values, block and list boundaries) and every comment in
order; formatting any range of lines keeps the tree and comments too, and
formatting the whole file range by range agrees with ``format_text``.
"""

from __future__ import annotations

import random

import pytest
from test_format_corpus import tree_items
from test_format_range import apply

from prototxt_ls.format.formatter import format_range, format_text
from prototxt_ls.syntax.parser import parse

WS = [" ", "\n", "  ", "\n\n", "\t", " \n  \n", "\n\n\n", "\f"]
COMMENTS = ["#", "# c", "# x {", "# }  ", "##", "#\t"]
SCALARS = ["1", "-2.5e3", ".5", "0x1F", '"s"', "'q'", '"a" "b"', '"a"\n  "b"', '"a" # m\n "b"', "FOO", "-inf"]


def _ws(r: random.Random) -> str:
    return r.choice(WS) if r.random() < 0.6 else ""


def _comment(r: random.Random) -> str:
    return r.choice(COMMENTS) + "\n" if r.random() < 0.25 else ""


def _fields(r: random.Random, depth: int) -> str:
    out = ""
    for _ in range(r.randint(0, 4)):
        out += _ws(r) + _comment(r) + _ws(r) + _field(r, depth) + _ws(r) + _comment(r) + r.choice(["", "", ";", ","])
    return out


def _field(r: random.Random, depth: int) -> str:
    name = r.choice(["a", "b", "layer"])
    k = r.random()
    if depth < 4 and k < 0.4:
        o, c = r.choice([("{", "}"), ("<", ">")])
        return (name + r.choice(["", ":", " :"]) + _ws(r) + _comment(r) + _ws(r) + o + _fields(r, depth + 1)
                + _ws(r) + _comment(r) + c)
    if k < 0.55:
        items = [r.choice(SCALARS) if r.random() < 0.8 or depth >= 4 else "{" + _fields(r, depth + 1) + "}"
                 for _ in range(r.randint(0, 3))]
        return name + ":" + _ws(r) + "[" + _ws(r) + ("," + _ws(r) + _comment(r)).join(items) + _ws(r) + "]"
    return name + _ws(r) + ":" + _ws(r) + _comment(r) + _ws(r) + r.choice(SCALARS)


def _texts(n: int):
    for seed in range(n):
        r = random.Random(seed)
        text = _comment(r) + _fields(r, 0) + _ws(r) + _comment(r)
        if r.random() < 0.2:
            text = text.replace("\n", "\r\n")
        yield seed, r, text


def _comments(text: str) -> list[str]:
    return [c.text.rstrip() for c in parse(text).comments]


@pytest.mark.parametrize("chunk", range(4))
def test_random_texts(chunk: int) -> None:
    checked = 0
    for seed, r, text in _texts(1200):
        if seed % 4 != chunk:
            continue
        before = parse(text)
        if before.errors:
            continue
        checked += 1
        out = format_text(text)
        assert format_text(out) == out, seed
        after = parse(out)
        assert tree_items(after) == tree_items(before), seed
        assert _comments(out) == _comments(text), seed
        n = text.count("\n")
        a = r.randint(0, n)
        b = r.randint(a, n)
        ranged = apply(text, format_range(text, a, b))
        assert tree_items(parse(ranged)) == tree_items(before), seed
        assert _comments(ranged) == _comments(text), seed
        assert format_text(apply(text, format_range(text, 0, n))) == out, seed
    assert checked > 200
