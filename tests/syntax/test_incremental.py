"""Incremental re-parse: after any edit, the result equals a fresh parse.

``reparse(old, new_text)`` keeps untouched top-level blocks (moving those
after the edit through their segments) and re-parses the rest.  Each case
compares every token's kind, text, offsets and line/column, every comment
and the root range with ``parse(new_text)``; sequences of edits check that
moves accumulate correctly.  Whenever reuse would be wrong it must decline
(return None), never return a different tree.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))
from corpus_paths import CORPUS, ROOT, corpus_rows  # noqa: E402
from netbuilder import googlenet, resnet50  # noqa: E402

from prototxt_ls.syntax.incremental import changed_span, reparse  # noqa: E402
from prototxt_ls.syntax.lexer import end_of, start_of  # noqa: E402
from prototxt_ls.syntax.parser import parse  # noqa: E402
from prototxt_ls.syntax.tree import Document, Field, ListValue, Message, Scalar  # noqa: E402


def _tokens(node, out: list) -> list:
    if isinstance(node, Field):
        out.append(node.name_token)
        _tokens(node.value, out)
    elif isinstance(node, Scalar):
        out.extend((node.first, node.last))
    elif isinstance(node, (Message, ListValue)):
        if node.open is not None:
            out.append(node.open)
        for child in (node.fields if isinstance(node, Message) else node.items):
            _tokens(child, out)
        if node.close is not None:
            out.append(node.close)
    return out


def signature(doc: Document):
    """Everything a consumer of a Document can observe, in current-text terms."""
    toks = [(t[0], t[1], start_of(t), end_of(t), t[4].position(t[2]), t[4].position(t[3]))
            for t in _tokens(doc.root, [])]
    comments = [(c.text, c.range, c.own_line) for c in doc.comments]
    ranges = [(f.name, f.range, f.name_range) for f in doc.root.fields]
    return toks, comments, ranges, [(e.message, e.range) for e in doc.errors], doc.root.range, doc.text


def assert_same(inc: Document, text: str) -> None:
    assert signature(inc) == signature(parse(text))


def edit_then_check(doc: Document, new: str) -> Document:
    """Re-parse incrementally (or in full when it declines) and compare with a fresh parse."""
    inc = reparse(doc, new)
    if inc is None:
        return parse(new)
    assert_same(inc, new)
    return inc


SMALL = """# a net
name: "tiny"  # trailing
input: "data"
input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
  convolution_param { num_output: 4 kernel_size: 3 } }   # after c1
# between
layer { name: "r1" type: "ReLU" bottom: "c1" top: "c1" }
layer < name: "p1" type: "Pooling" bottom: "c1" top: "p1" pooling_param < pool: MAX kernel_size: 2 > >
"""


def test_changed_span_finds_the_one_differing_stretch():
    assert changed_span("abc", "abc") is None
    assert changed_span("abcdef", "abXdef") == (2, 3, 3)
    assert changed_span("abcdef", "abdef") == (2, 3, 2)
    assert changed_span("abc", "abcd") == (3, 3, 4)
    assert changed_span("aaaa", "aaa") == (3, 4, 3)  # repeated text: the longest prefix wins
    assert changed_span("", "x") == (0, 0, 1)


@pytest.mark.parametrize("old,new", [
    ('num_output: 4', 'num_output: 44'),          # inside the first layer
    ('top: "p1"', 'top: "p2"'),                   # last block, `< >` brackets
    ('# between', '# between, longer now'),       # a comment between blocks
    ('"tiny"  ', '"tiny"\n\n'),                   # whitespace between fields sharing a segment
    ('input_dim: 8 input_dim: 8', 'input_dim: 16 input_dim: 16'),  # header fields
])
def test_single_edits_match_a_fresh_parse(old, new):
    doc = parse(SMALL)
    text = SMALL.replace(old, new, 1)
    inc = reparse(doc, text)
    assert inc is not None
    assert_same(inc, text)


def test_blocks_added_removed_and_moved():
    doc = parse(SMALL)
    extra = 'layer { name: "s" type: "Softmax" bottom: "p1" top: "s" }\n'
    steps = [SMALL + extra, extra + SMALL, SMALL.replace('layer { name: "r1" type: "ReLU" bottom: "c1" top: "c1" }\n', ""),
             SMALL]
    for text in steps:
        inc = reparse(doc, text)
        assert inc is not None, text
        assert_same(inc, text)
        doc = inc


def test_syntax_errors_in_the_region_and_in_kept_blocks():
    doc = parse(SMALL)
    broken = SMALL.replace("num_output: 4", "num_output: 4 }")  # a stray closer in the first layer
    inc = reparse(doc, broken)
    assert inc is not None and inc.errors
    assert_same(inc, broken)
    later = broken.replace('top: "p1"', 'top: "p2"')  # an edit elsewhere keeps (and moves) the error
    inc2 = reparse(inc, later)
    assert inc2 is not None and inc2.errors
    assert_same(inc2, later)
    fixed = later.replace("num_output: 4 }", "num_output: 4")
    inc3 = reparse(inc2, fixed)
    assert inc3 is not None and not inc3.errors
    assert_same(inc3, fixed)


def test_a_block_left_open_is_reparsed_to_the_end_of_the_file():
    doc = parse(SMALL)
    opened = SMALL.replace("  convolution_param { num_output: 4 kernel_size: 3 } }", "  convolution_param {")
    inc = reparse(doc, opened)  # the open block swallows the rest: the region must reach the end
    if inc is not None:
        assert_same(inc, opened)
    assert parse(opened).errors


def test_moves_accumulate_over_many_edits():
    text = resnet50().to_v2()
    doc = parse(text)
    rng = random.Random(7)
    for _ in range(40):
        spots = [i for i in range(len(text)) if text.startswith("num_output: ", i)]
        at = rng.choice(spots) + len("num_output: ")
        digits = len(text[at:].split("\n", 1)[0].split(" ", 1)[0].rstrip("}"))
        new = text[:at] + str(rng.randrange(1, 100000)) + text[at + digits:]
        doc = edit_then_check(doc, new)
        text = new


def _random_edit(rng: random.Random, text: str) -> str:
    pos = rng.randrange(len(text))
    op = rng.random()
    if op < 0.35:
        return text[:pos] + rng.choice(["x", " ", "\n", "7", "# note\n", "_"]) + text[pos:]
    if op < 0.7:
        return text[:pos] + text[pos + 1:]
    if op < 0.85:
        k = rng.randrange(1, 120)
        return text[:pos] + text[pos + k:]
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start:line_end + 1] if line_end != -1 else text[line_start:] + "\n"
    return text[:line_start] + line + text[line_start:]  # duplicate a line


def _nets() -> list[tuple[str, str]]:
    nets = [("googlenet", googlenet().to_v2()), ("lenet-example", (ROOT / "examples" / "lenet_v2.prototxt").read_text()),
            ("v0-example", (ROOT / "examples" / "tiny_v0_legacy.prototxt").read_text()),
            ("v1-example", (ROOT / "examples" / "tiny_v1_legacy.prototxt").read_text())]
    for style in ("V0", "V1", "V2", "solver"):
        rows = [r for r in corpus_rows() if r["style"] == style and r["expect"] == "valid"
                and (CORPUS / r["path"]).is_file()]
        if rows:
            rows.sort(key=lambda r: r["path"])
            path = CORPUS / rows[len(rows) // 2]["path"]
            nets.append((f"corpus-{style}", path.read_text(encoding="utf-8", errors="replace")))
    return nets


NETS = _nets()


@pytest.mark.parametrize("name,text", NETS, ids=[name for name, _ in NETS])
def test_random_edit_sequences_match_fresh_parses(name, text):
    """Edits, some breaking the syntax, each followed two times in three by
    going back to the last clean text (as undo does)."""
    if parse(text).errors:
        pytest.skip("the sample does not parse cleanly")
    rng = random.Random(name)
    doc = parse(text)
    last_clean = text
    reused = 0
    for step in range(120):
        new = last_clean if step % 3 == 2 else _random_edit(rng, text)
        inc = reparse(doc, new)
        if inc is None:
            doc = parse(new)
        else:
            assert_same(inc, new)
            doc = inc
            reused += 1
        text = new
        if not parse(text).errors:
            last_clean = text
    assert reused >= 60, f"only {reused} of 120 edits were re-parsed incrementally"
