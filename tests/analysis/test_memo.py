"""Incremental analysis equals a fresh check, edit after edit.

The server's ``Documents.analyse`` re-parses only the edited blocks and
reuses each untouched block's schema findings, LayerView and shapes (moved
when the block moved).  Whatever it reuses, its diagnostics — codes,
messages, severities, ranges, fixes and related locations — must be exactly
those of ``check_text`` on the same text.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nets"))
from corpus_paths import ROOT  # noqa: E402
from netbuilder import resnet50  # noqa: E402

from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.analysis.memo import Memo  # noqa: E402
from prototxt_ls.lsp.documents import Documents  # noqa: E402

URI = "file:///memo-test/net.prototxt"


def _key(d):
    return (d.code, d.message, int(d.severity), d.range, [(f.title, f.edits, f.safe) for f in d.fixes],
            list(d.related))


def _fresh(text: str) -> list:
    return [_key(d) for d in check_text(text, Path("/memo-test/net.prototxt")).diagnostics]


def _analysed(docs: Documents, text: str, version: int) -> list:
    return [_key(d) for d in docs.analyse(URI, text, version).result.diagnostics]


def _edits(text: str, rng: random.Random) -> str:
    """An edit a person makes: change a number, rename a blob, drop or duplicate a line."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    line = lines[i]
    choice = rng.random()
    if choice < 0.3 and any(c.isdigit() for c in line):
        j = next(k for k, c in enumerate(line) if c.isdigit())
        lines[i] = line[:j] + str(rng.randrange(0, 600)) + line[j + 1:]
    elif choice < 0.5 and '"' in line:
        lines[i] = line.replace('"', '"x', 1)
    elif choice < 0.7:
        del lines[i]
    elif choice < 0.85:
        lines.insert(i, line)
    else:
        lines[i] = line[:len(line) // 2] + line[len(line) // 2 + 1:]
    return "\n".join(lines)


SAMPLES = {
    "resnet50": resnet50().to_v2(),
    "pitfalls": (ROOT / "examples" / "pitfalls.prototxt").read_text(),
    "graph_mistakes": (ROOT / "examples" / "graph_mistakes.prototxt").read_text(),
    "field_mistakes": (ROOT / "examples" / "field_mistakes.prototxt").read_text(),
    "v1": (ROOT / "examples" / "tiny_v1_legacy.prototxt").read_text(),
    "v0": (ROOT / "examples" / "tiny_v0_legacy.prototxt").read_text(),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_edit_sequences_give_the_fresh_diagnostics(name):
    rng = random.Random(name)
    text = SAMPLES[name]
    docs = Documents()
    assert _analysed(docs, text, 0) == _fresh(text)
    steps = 40 if name == "resnet50" else 60
    for version in range(1, steps):
        text = _edits(text, rng)
        assert _analysed(docs, text, version) == _fresh(text), f"step {version}"


def test_untouched_blocks_are_reused():
    """An edit inside one layer of ResNet-50 that changes no shape reuses every
    other layer's results; one that changes shapes recomputes the layers after it."""
    text = resnet50().to_v2()
    docs = Documents()
    docs.analyse(URI, text, 0)
    memo = docs._incremental[URI].memo
    at = text.index("lr_mult:", len(text) // 2)
    edited = text[:at] + "lr_mult: 3.0" + text[text.index("\n", at):]
    docs.analyse(URI, edited, 1)
    assert memo.hits > 1000 and 0 < memo.misses <= 7  # the edited block: schema, view, params, per phase its rules and shapes
    assert _analysed(docs, edited, 2) == _fresh(edited)
    at = text.index("num_output:", len(text) // 2)
    widened = text[:at] + "num_output: 7" + text[text.index("\n", at):]
    docs.analyse(URI, widened, 3)
    assert memo.misses > 100 and memo.hits > 1000
    assert _analysed(docs, widened, 4) == _fresh(widened)


def test_moved_findings_keep_their_fixes_and_related_ranges():
    """A duplicate field (F106, with a related range) and an unknown field (F101,
    with a did-you-mean fix) in the last layer move with it when a line is
    added above."""
    text = (ROOT / "examples" / "lenet_v2.prototxt").read_text()
    text = text.replace('  top: "prob"\n}', '  top: "prob"\n  nme: "x"\n  top: "prob2"\n  name: "again"\n}')
    docs = Documents()
    first = _analysed(docs, text, 0)
    assert {"F101", "F106"} <= {k[0] for k in first}
    moved = "# a new first line\n" + text
    assert _analysed(docs, moved, 1) == _fresh(moved)
    assert docs._incremental[URI].memo.hits > 0


def test_fixing_a_typo_brings_back_the_results_from_before_it():
    """A typo that loses a layer's output size changes every later layer's
    input shapes; fixing it restores the shapes of two versions ago, whose
    results the memo still holds (it keeps entries for a few checks)."""
    text = resnet50().to_v2()
    docs = Documents()
    docs.analyse(URI, text, 0)
    memo = docs._incremental[URI].memo
    one_version = len(memo)
    at = text.index("num_output:", len(text) // 2)
    broken = text[:at] + "num_outpt:" + text[at + len("num_output:"):]
    docs.analyse(URI, broken, 1)
    broken_misses = memo.misses  # the edited block, and the layers after it that now see unknown shapes
    docs.analyse(URI, text, 2)
    assert memo.misses <= 8 < broken_misses, (memo.misses, broken_misses)  # the rest as two versions ago
    assert _analysed(docs, text, 3) == _fresh(text)
    for version in range(4, 4 + 2 * Memo.KEEP):  # entries unused for KEEP checks are dropped
        docs.analyse(URI, text.replace("num_output: 1000", f"num_output: {version}"), version)
    assert len(memo) < one_version + 2 * Memo.KEEP * 10, (len(memo), one_version)
