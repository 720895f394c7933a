"""Property tests: real files, randomly damaged, never break the parser.

Six corpus files (V0, V1, V2, a large V2 net, a solver, a mixed-style net)
get random edits: characters or whole lines deleted, duplicated or inserted,
punctuation from ``{}[]<>:;,"'#\\n`` and random bytes decoded as text.  For
every result ``parse()`` must return a Document whose positions all agree
with the text, within a time bound, and the full checker must not raise.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prototxt_ls.positions import LineIndex, Range
from prototxt_ls.syntax.parser import parse
from prototxt_ls.syntax.tree import Document, Message

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PUNCT = "{}[]<>:;,\"'#\n"
TIME_LIMIT_S = 2.0  # per parse, for files up to 150 KB


def _pick_files() -> list[tuple[str, str]]:
    """(style, path) for one file per style, plus the largest net; [] without the corpus."""
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh, delimiter="\t") if (CORPUS / row["path"]).is_file()]
    picked: list[tuple[str, str]] = []
    for style in ("V0", "V1", "V2", "solver", "mixed"):
        cands = [row["path"] for row in rows if row["style"] == style]
        if cands:
            # The median-sized file of the style: typical, and not huge.
            cands.sort(key=lambda p: ((CORPUS / p).stat().st_size, p))
            picked.append((style, cands[len(cands) // 2]))
    nets = sorted((row["path"] for row in rows if row["kind"] == "net"
                   and (CORPUS / row["path"]).stat().st_size <= 150_000),
                  key=lambda p: ((CORPUS / p).stat().st_size, p))
    if nets:
        picked.append(("large", nets[-1]))
    return picked


FILES = _pick_files()
needs_corpus = pytest.mark.skipif(not FILES, reason="../shared/corpus is not available")


# ------------------------------------------------------------------ strategies


@st.composite
def edit(draw):
    """One edit as (kind, where in [0, 1), payload)."""
    kind = draw(st.sampled_from(["del_chars", "dup_chars", "ins_punct", "ins_text", "ins_bytes",
                                 "del_line", "dup_line", "swap_lines"]))
    where = draw(st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
    if kind in ("del_chars", "dup_chars"):
        payload = draw(st.integers(1, 40))
    elif kind == "ins_punct":
        payload = draw(st.text(alphabet=PUNCT, min_size=1, max_size=6))
    elif kind == "ins_text":
        payload = draw(st.text(min_size=1, max_size=8))
    elif kind == "ins_bytes":
        raw = draw(st.binary(min_size=1, max_size=12))
        payload = raw.decode(draw(st.sampled_from(["utf-8", "latin-1"])), errors="replace")
    else:
        payload = draw(st.integers(1, 3))
    return kind, where, payload


def apply_edit(text: str, e) -> str:
    kind, where, payload = e
    if kind.endswith("_line") or kind == "swap_lines":
        lines = text.splitlines(keepends=True)
        if not lines:
            return text
        i = int(where * len(lines))
        j = min(len(lines), i + payload)
        if kind == "del_line":
            del lines[i:j]
        elif kind == "dup_line":
            lines[i:i] = lines[i:j]
        elif j < len(lines):
            lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines)
    pos = int(where * (len(text) + 1))
    if kind == "del_chars":
        return text[:pos] + text[pos + payload:]
    if kind == "dup_chars":
        return text[:pos] + text[pos:pos + payload] + text[pos:]
    return text[:pos] + payload + text[pos:]


# ------------------------------------------------------------------ invariants


def _check_range(li: LineIndex, n: int, rng: Range, what: str) -> None:
    assert 0 <= rng.start.offset <= rng.end.offset <= n, (what, rng)
    assert li.position(rng.start.offset) == rng.start, (what, rng)
    assert li.position(rng.end.offset) == rng.end, (what, rng)


def _walk(msg: Message):
    stack = [msg]
    while stack:
        m = stack.pop()
        for f in m.fields:
            yield f
            for v in f.values():
                if isinstance(v, Message):
                    stack.append(v)


def check_document(text: str) -> Document:
    t0 = time.perf_counter()
    doc = parse(text)
    elapsed = time.perf_counter() - t0
    assert isinstance(doc, Document)
    assert doc.text == text
    assert elapsed < TIME_LIMIT_S, f"parse took {elapsed:.2f}s for {len(text)} chars"
    li = LineIndex(text)
    n = len(text)
    for e in doc.errors:
        assert isinstance(e.message, str) and e.message
        _check_range(li, n, e.range, e.message)
    for c in doc.comments:
        _check_range(li, n, c.range, "comment")
        assert text[c.range.start.offset:c.range.end.offset] == c.text
    for f in _walk(doc.root):
        _check_range(li, n, f.name_range, f.name)
        assert text[f.name_range.start.offset:f.name_range.end.offset] == f.name
        _check_range(li, n, f.range, f.name)
    return doc


def check_everything(text: str) -> None:
    from prototxt_ls.analysis.check import check_text

    check_document(text)
    result = check_text(text)  # must not raise
    li = LineIndex(text)
    for d in result.diagnostics:
        _check_range(li, len(text), d.range, f"{d.code} {d.message}")


_TEXTS: dict[str, str] = {}


def _text(path: str) -> str:
    if path not in _TEXTS:
        _TEXTS[path] = (CORPUS / path).read_text(encoding="utf-8", errors="replace")
    return _TEXTS[path]


# ------------------------------------------------------------------ tests


@needs_corpus
def test_picked_files_parse_cleanly_before_damage():
    assert len(FILES) == 6
    for style, path in FILES:
        text = _text(path)
        assert len(text) <= 150_000
        doc = check_document(text)
        assert doc.root.fields, path
        assert doc.errors == [], (path, doc.errors[:3])


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                 derandomize=False)


@needs_corpus
@pytest.mark.parametrize("style,path", FILES or [("none", "none")], ids=[s for s, _ in FILES] or ["none"])
def test_damaged_corpus_file_never_breaks_parser(style, path):
    text = _text(path)
    examples = 10 if len(text) > 50_000 else 40

    @settings(max_examples=examples, **_SETTINGS)
    @given(st.lists(edit(), min_size=1, max_size=8))
    def run(edits):
        damaged = text
        for e in edits:
            damaged = apply_edit(damaged, e)
        check_everything(damaged)

    run()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(PUNCT) + ["a", "b_1", " ", "1", "-", ".5", "0x", "\\", "\r", "\t",
                                              "inf", "\u00e9", "\U0001F600", "@", '"s\\', "'\\", "\r\n"]),
                max_size=40).map("".join))
def test_token_soup_never_breaks_parser(text):
    check_document(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_breaks_parser(text):
    check_document(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_through_checker(data):
    check_everything(data.decode("latin-1"))


@needs_corpus
def test_truncation_at_every_line_keeps_earlier_fields():
    """Typing a file top to bottom: each prefix keeps the complete top-level fields before it."""
    style, path = next((s, p) for s, p in FILES if s == "V2")
    text = _text(path)
    full = parse(text).root.fields
    ends = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    step = max(1, len(ends) // 150)  # at most ~150 prefixes: the cost is quadratic
    lost = []
    for end in ends[::step]:
        prefix = text[:end]
        doc = check_document(prefix)
        complete = [f for f in full if f.range.end.offset <= len(prefix)]
        got = [(f.name, f.range.end.offset) for f in doc.root.fields[:len(complete)]]
        if got != [(f.name, f.range.end.offset) for f in complete]:
            lost.append(len(prefix))
    assert lost == []
