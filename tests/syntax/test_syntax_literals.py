"""Literal decoding (prototxt_ls.syntax.literals), the way protobuf reads it."""

from __future__ import annotations

import math

import pytest

from prototxt_ls.syntax.literals import (BOOL_WORDS, FLOAT_WORDS, bad_escapes, decode_number, decode_string,
                                         float_word, is_integer_literal)

# ------------------------------------------------------------------ decode_string


@pytest.mark.parametrize("raw,value", [
    ('"abc"', "abc"),
    ("'abc'", "abc"),
    ('""', ""),
    ('"a\\nb"', "a\nb"),
    ('"\\t\\r\\a\\b\\f\\v"', "\t\r\a\b\f\v"),
    ('"\\\\"', "\\"),
    ('"\\""', '"'),
    ("'\\''", "'"),
    ('"\\\'"', "'"),
    ('"\\?"', "?"),
    ('"\\101"', "A"),
    ('"\\0"', "\x00"),
    ('"\\7"', "\x07"),
    ('"\\1010"', "A0"),  # at most three octal digits
    ('"\\x41"', "A"),
    ('"\\x4"', "\x04"),
    ('"\\x414"', "A4"),  # at most two hex digits
    ('"\\u00e9"', "é"),
    ('"\\U0001F600"', "😀"),
    ('"caf\\303\\251"', "caf\xc3\xa9"),  # octal escapes give code points, not UTF-8 decoding
    ('"\\q"', "q"),  # unknown escape: character kept (bad_escapes reports it)
    ('"héllo 😀"', "héllo 😀"),
])
def test_decode_string(raw, value):
    assert decode_string(raw) == value


def test_decode_string_unterminated():
    # A BAD_STRING token has no closing quote: the whole tail is the body.
    assert decode_string('"abc') == "abc"
    assert decode_string("'a\\tb") == "a\tb"
    assert decode_string('"') == ""


def test_decode_string_mismatched_quotes_keeps_tail():
    assert decode_string("\"ab'") == "ab'"


# ------------------------------------------------------------------ bad_escapes


@pytest.mark.parametrize("raw,bad", [
    ('"plain"', []),
    ('"\\n\\t\\\\\\"\\\'\\?"', []),
    ('"\\101\\x41\\u00e9\\U0001F600"', []),
    ('"\\q"', ["\\q"]),
    ('"a\\qb\\zc\\n"', ["\\q", "\\z"]),
    ('"\\8"', ["\\8"]),
    ('"\\d+"', ["\\d"]),
    ("'\\.'", ["\\."]),
    ('"\\x"', ["\\x"]),  # protobuf: "Expected hex digits for escape sequence"
    ('"\\xg"', ["\\x"]),
    ('"\\u12"', ["\\u"]),  # \u needs four hex digits
    ('"\\U1234"', ["\\U"]),  # \U needs eight
])
def test_bad_escapes(raw, bad):
    assert bad_escapes(raw) == bad


def test_bad_escapes_does_not_read_quotes_as_body():
    assert bad_escapes('"\\"') == []  # body is a lone backslash: nothing to report
    assert bad_escapes("x") == []


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("text,expected", [
    ("42", True), ("-3", True), ("+3", True), ("0", True), ("0x1F", True), ("0X1f", True), ("-0x1", True),
    ("017", True), ("1.", False), (".5", False), ("1e3", False), ("2f", False), ("1.0f", False),
    ("-2.5E+3", False), ("", False), ("-", False),
])
def test_is_integer_literal(text, expected):
    assert is_integer_literal(text) is expected


@pytest.mark.parametrize("text,value", [
    ("0", 0),
    ("42", 42),
    ("-3", -3),
    ("+5", 5),
    ("0x1F", 31),
    ("0xff", 255),
    ("-0x10", -16),
    ("017", 15),
    ("-017", -15),
    ("00", 0),
    ("9223372036854775808", 9223372036854775808),  # no overflow here; range checks are the checker's
    ("1.", 1.0),
    (".5", 0.5),
    ("1e-4", 1e-4),
    ("-2.5E+3", -2500.0),
    ("1.0f", 1.0),
    ("1.5F", 1.5),
    ("2f", 2.0),
    ("1e3", 1000.0),
])
def test_decode_number(text, value):
    got = decode_number(text)
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize("text", ["08", "019", "0x", "1.2.3", "abc", "-", "f", ""])
def test_decode_number_unreadable(text):
    assert decode_number(text) is None


# ------------------------------------------------------------------ words


@pytest.mark.parametrize("text,value", [
    ("inf", math.inf), ("INF", math.inf), ("Infinity", math.inf), ("-inf", -math.inf),
    ("-Infinity", -math.inf),
])
def test_float_word_infinities(text, value):
    assert float_word(text) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan"])
def test_float_word_nan(text):
    v = float_word(text)
    assert v is not None and math.isnan(v)


@pytest.mark.parametrize("text", ["infin", "MAX", "true", "1.0", ""])
def test_float_word_other(text):
    assert float_word(text) is None


def test_word_tables():
    assert set(FLOAT_WORDS) == {"inf", "infinity", "nan"}
    assert {k for k, v in BOOL_WORDS.items() if v} == {"true", "t", "True"}
    assert {k for k, v in BOOL_WORDS.items() if not v} == {"false", "f", "False"}
