"""Black-style golden cases: ``cases/NAME.prototxt`` holds an input, a line ``# output``, the expected output.

The file is read without newline translation, so a CRLF case stays CRLF.
Every case also checks that its expected output is a fixed point.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prototxt_ls.format.formatter import FormatError, format_text

CASES = Path(__file__).resolve().parent / "cases"
_MARK = re.compile(r"^# output\r?\n", re.MULTILINE)


def _split(path: Path) -> tuple[str, str]:
    text = path.read_bytes().decode("utf-8")
    m = _MARK.search(text)
    assert m is not None, f"{path.name}: no '# output' line"
    return text[:m.start()], text[m.end():]


@pytest.mark.parametrize("path", sorted(CASES.glob("*.prototxt")), ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    source, expected = _split(path)
    assert format_text(source) == expected
    assert format_text(expected) == expected


def test_cases_cover_the_grammar() -> None:
    """The cases folder keeps one case per construct (a guard against deleting them)."""
    names = {p.stem for p in CASES.glob("*.prototxt")}
    for needed in ("angle_brackets", "colon_brace", "lists", "adjacent_strings", "separators", "crlf",
                   "comments_leading", "comments_trailing", "comments_after_open", "comments_end_of_file",
                   "comments_inside_blocks", "blank_lines", "net_v0", "net_v1", "net_v2", "solver"):
        assert needed in names


def test_crlf_case_really_is_crlf() -> None:
    source, expected = _split(CASES / "crlf.prototxt")
    assert "\r\n" in source and expected.count("\n") == expected.count("\r\n")


def test_missing_final_newline_is_added() -> None:
    assert format_text('layer { name: "a" }') == 'layer {\n  name: "a"\n}\n'
    assert format_text("a: 1  # c") == "a: 1  # c\n"
    assert format_text("# only a comment") == "# only a comment\n"


def test_crlf_decided_by_first_line_ending() -> None:
    assert format_text("a: 1\r\nb: 2\n") == "a: 1\r\nb: 2\r\n"
    assert format_text("a: 1\nb: 2\r\n") == "a: 1\nb: 2\n"


def test_byte_order_mark_is_kept() -> None:
    assert format_text("\ufeffa:1 b:2") == "\ufeffa: 1\nb: 2\n"


@pytest.mark.parametrize("text, line, column", [
    ('layer {\n  name: "a"\n', 0, 0),
    ('layer {\n  name: "a\n}\n', 1, 8),
    ("a: 1\nb: }\n", 1, 1),
    ("a { b: 1 } }\n", 0, 11),
])
def test_syntax_errors_raise(text: str, line: int, column: int) -> None:
    with pytest.raises(FormatError) as info:
        format_text(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"{line + 1}:{column + 1}: ")
    assert info.value.message in str(info.value)


@pytest.mark.parametrize("depth", [2000])
def test_deep_nesting_does_not_crash(depth: int) -> None:
    text = "a {" * depth + " b: 1  # deep\n" + "}" * depth + "\n"
    out = format_text(text)
    lines = out.splitlines()
    assert len(lines) == 2 * depth + 1
    assert lines[depth] == "  " * depth + "b: 1  # deep"
    assert format_text(out) == out
    angle = "a <" * depth + " x: [1, 2] " + ">" * depth
    assert format_text(angle).count("\n") == 2 * depth + 1
