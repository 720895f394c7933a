"""The upgrade against Caffe itself, on the real-world corpus.

- every V0/V1 corpus net that Caffe's ``upgrade_net_proto_text`` upgraded
  (``oracle/upgrade/<path>``): our upgrade, read by protobuf, is the same
  message as Caffe's output;
- the input/expected pairs of Caffe's own ``test_upgrade_proto.cpp`` (each
  step alone: padding layers, V0 -> V1, V1 -> V2);
- every V0/V1 corpus net upgrades to a V2 net with no syntax, field or
  format error, keeps every comment line, and a second upgrade changes nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from google.protobuf import text_format

from prototxt_ls.analysis.check import check_text
from prototxt_ls.diagnostics import Severity
from prototxt_ls.format.upgrade import upgrade_text
from prototxt_ls.schema.descriptors import message_class
from prototxt_ls.schema.loader import bundled_schema
from prototxt_ls.syntax.parser import parse

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ORACLE = CORPUS / "oracle" / "upgrade"
CAFFE_TESTS = CORPUS / "BVLC__caffe" / "src" / "caffe" / "test" / "test_upgrade_proto.extracted"


def _old_rows() -> list[dict[str, str]]:
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["style"] in ("V0", "V1")]
    seen: dict[str, dict[str, str]] = {}
    for r in rows:
        seen.setdefault(r["path"], r)
    return list(seen.values())


OLD = _old_rows()
WITH_ORACLE = [r for r in OLD if (ORACLE / r["path"]).is_file()]


def _caffe_pairs() -> list[tuple[str, str, frozenset[str]]]:
    """(input, expected, steps) from the files extracted from test_upgrade_proto.cpp."""
    if not CAFFE_TESTS.is_dir():
        return []
    names = {p.name for p in CAFFE_TESTS.iterdir()}
    pairs = []
    for n in sorted(names):
        for src, dst, steps in ((".v0_input_with_padding_layer.", ".v0_expected_after_padding_upgrade.", {"padding"}),
                                (".v0_input.", ".v1_expected_from_v0.", {"v0"}),
                                (".v1_expected_from_v0.", ".v2_expected_from_v1.", {"v1"})):
            if src in n and n.replace(src, dst) in names:
                pairs.append((n, n.replace(src, dst), frozenset(steps)))
    return pairs


CAFFE_PAIRS = _caffe_pairs()


@pytest.fixture(scope="module")
def net_class():
    return message_class(bundled_schema(), "NetParameter")


def _message(cls, text: str):
    msg = cls()
    text_format.Parse(text, msg)
    return msg


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _skip_without_corpus(rows) -> None:
    if not rows:
        pytest.skip("../shared/corpus (with oracle/upgrade) is not available")


@pytest.mark.parametrize("row", WITH_ORACLE or [None], ids=[r["path"] for r in WITH_ORACLE] or ["no-corpus"])
def test_upgrade_equals_caffe(row, net_class):
    _skip_without_corpus(row)
    result = upgrade_text(_read(CORPUS / row["path"]))
    ours = _message(net_class, result.text)
    caffe = _message(net_class, _read(ORACLE / row["path"]))
    assert ours == caffe, "\n".join(
        __import__("difflib").unified_diff(text_format.MessageToString(caffe).splitlines(),
                                           text_format.MessageToString(ours).splitlines(), "caffe", "ours",
                                           lineterm=""))


def test_oracle_coverage():
    """Every V0/V1 net Caffe upgraded is compared above; the rest are the ones Caffe cannot read."""
    _skip_without_corpus(OLD)
    with (ORACLE / "INDEX.tsv").open(encoding="utf-8") as fh:
        index = {r["path"]: r for r in csv.DictReader(fh, delimiter="\t")}
    missing = [r["path"] for r in OLD if r not in WITH_ORACLE]
    assert all(index[p]["exit"] != "0" for p in missing), missing
    assert len(WITH_ORACLE) >= 80


@pytest.mark.parametrize("case", CAFFE_PAIRS or [None], ids=[f"{a}" for a, _, _ in CAFFE_PAIRS] or ["no-corpus"])
def test_caffe_unit_test_pairs(case, net_class):
    _skip_without_corpus(case)
    src, dst, steps = case
    result = upgrade_text(_read(CAFFE_TESTS / src), steps=steps)
    assert result.issues == []
    assert _message(net_class, result.text) == _message(net_class, _read(CAFFE_TESTS / dst))


def test_caffe_unit_test_pairs_found():
    _skip_without_corpus(CAFFE_TESTS.is_dir())
    assert len(CAFFE_PAIRS) == 8  # 3 padding, 3 V0 -> V1, 2 V1 -> V2


def _errors(text: str, path: Path) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in check_text(text, path=path).diagnostics
            if d.severity == Severity.ERROR and d.code[0] in "SFV"]


@pytest.mark.parametrize("row", OLD or [None], ids=[r["path"] for r in OLD] or ["no-corpus"])
def test_upgraded_net_is_clean_v2(row):
    """No syntax/field/format errors in the result (only what the input already had, for nets Caffe rejects)."""
    _skip_without_corpus(row)
    path = CORPUS / row["path"]
    text = _read(path)
    result = upgrade_text(text)
    assert result.changed
    doc = parse(result.text)
    assert not doc.errors
    assert not any(f.name == "layers" for f in doc.root.fields)
    assert not any(f.name in ("input", "input_dim", "input_shape") for f in doc.root.fields)
    after = _errors(result.text, path)
    if row["expect"] == "valid":
        assert after == []
    else:  # a fork's fields stay unknown; the upgrade adds no error of its own
        assert len(after) <= len(_errors(text, path))
    # every comment line survives, and the result needs no further upgrade
    before_comments = Counter(c.text.rstrip() for c in parse(text).comments)
    after_comments = Counter(c.text.rstrip() for c in doc.comments)
    assert not before_comments - after_comments
    assert not upgrade_text(result.text).changed
