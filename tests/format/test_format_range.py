"""``format_range``: only the top-level fields a range touches change; the rest stays byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from prototxt_ls.diagnostics import TextEdit
from prototxt_ls.format.formatter import FormatError, format_range, format_text
from prototxt_ls.positions import LineIndex

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

MESSY = """# header
name: "net"
layer {   name: "a"   type: "Input"
  top: "data" input_param { shape: { dim: 1 dim: 3 } } }
# about b
layer <
    name: "b"  # bee
    type: "ReLU" bottom: "data"; top: "data" >   # after b
layer { name: "c"
        type: "ReLU" }
"""


def apply(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits, checking their positions against the text."""
    index = LineIndex(text)
    for e in sorted(edits, key=lambda e: e.range.start.offset, reverse=True):
        s, t = e.range.start, e.range.end
        assert index.position(s.offset) == s and index.position(t.offset) == t
        text = text[:s.offset] + e.new_text + text[t.offset:]
    return text


def lines_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


def test_only_the_touched_layer_changes() -> None:
    line = lines_of(MESSY, 'name: "b"')
    edits = format_range(MESSY, line, line)
    assert len(edits) == 1
    out = apply(MESSY, edits)
    start = MESSY.index("# about b")
    end = MESSY.index("# after b") + len("# after b")
    assert out.startswith(MESSY[:start])
    assert out.endswith(MESSY[end:])
    assert out[start:len(out) - len(MESSY[end:])] == (
        '# about b\nlayer {\n  name: "b"  # bee\n  type: "ReLU"\n  bottom: "data"\n  top: "data"\n}  # after b')
    # the formatted part is what formatting the whole file gives for it
    assert out[start:len(out) - len(MESSY[end:])] in format_text(MESSY)


def test_range_over_a_leading_comment_takes_its_field() -> None:
    line = lines_of(MESSY, "# about b")
    assert apply(MESSY, format_range(MESSY, line, line)) == apply(MESSY, format_range(MESSY, line + 1, line + 1))


def test_range_over_two_layers() -> None:
    a = lines_of(MESSY, "top: \"data\" input_param")
    c = lines_of(MESSY, 'layer { name: "c"')
    out = apply(MESSY, format_range(MESSY, a, c))
    assert out.startswith('# header\nname: "net"\nlayer {\n  name: "a"\n')
    assert out == format_text(MESSY).replace('name: "net"\n\n', 'name: "net"\n', 1)


def test_formatted_or_untouched_ranges_give_no_edit() -> None:
    formatted = format_text(MESSY)
    assert format_range(formatted, 0, formatted.count("\n")) == []
    assert format_range(MESSY, 100, 200) == []
    assert format_range("", 0, 0) == []


def test_fields_sharing_a_line() -> None:
    text = 'a: 1  b { c: 2 }\nd: 3\n'
    out = apply(text, format_range(text, 0, 0))
    assert out == 'a: 1\n\nb {\n  c: 2\n}\nd: 3\n'
    text = 'x {  }\na: 1 b { c: 2 }  d: 3\n'
    edits = format_range(text, 1, 1)
    assert apply(text, edits) == 'x {  }\na: 1\n\nb {\n  c: 2\n}\n\nd: 3\n'


def test_crlf_range() -> None:
    text = 'name: "n"\r\nlayer { name: "a" }\r\nlayer { name: "b" }\r\n'
    out = apply(text, format_range(text, 1, 1))
    assert out == 'name: "n"\r\nlayer {\r\n  name: "a"\r\n}\r\nlayer { name: "b" }\r\n'


def test_range_refuses_broken_text() -> None:
    with pytest.raises(FormatError):
        format_range('layer { name: "a"\n', 0, 0)


def test_range_on_a_corpus_net() -> None:
    path = CORPUS / "BVLC__caffe/models/bvlc_reference_caffenet/train_val.prototxt"
    if not path.is_file():
        pytest.skip("../shared/corpus is not available")
    text = path.read_text(encoding="utf-8")
    # squash the third layer onto one line, then format just that line
    layers = [i for i in range(len(text)) if text.startswith("layer {", i)]
    s, e = layers[2], layers[3]
    squashed = " ".join(text[s:e].split()) + "\n"
    messy = text[:s] + squashed + text[e:]
    line = messy.count("\n", 0, s)
    out = apply(messy, format_range(messy, line, line))
    assert out == text
