"""Protobuf wire format, read defensively from a buffer we do not trust.

Only what a .caffemodel needs: varints, length-delimited fields, and skipping
fixed-width ones.  Every read is bounds-checked against the enclosing
message, so a corrupt or hostile file (a length prefix of 2^60, a wire type
that does not exist, a truncated tail) raises :class:`WireError` with the
byte offset instead of reading past the end or allocating from a length
taken on trust.
"""

from __future__ import annotations

VARINT, FIXED64, LEN, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5


class WireError(Exception):
    """The bytes are not a well-formed protobuf message here."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.message = message
        self.offset = offset


def read_varint(buf, pos: int, end: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; returns (value, next position)."""
    result = 0
    shift = 0
    start = pos
    while True:
        if pos >= end:
            raise WireError("truncated varint", start)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes", start)


def fields(buf, pos: int, end: int):
    """Yield ``(field_number, wire_type, value_or_start, stop, key_offset)`` for a message.

    For VARINT the third item is the value; for LEN it is the payload start
    and ``stop`` its end; fixed-width fields are skipped but still yielded
    (value None) so callers can count them.
    """
    while pos < end:
        key_at = pos
        key, pos = read_varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0 is not valid", key_at)
        if wire == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield number, wire, value, pos, key_at
        elif wire == LEN:
            length, start = read_varint(buf, pos, end)
            stop = start + length
            if stop > end:
                raise WireError(f"field {number} claims {length} bytes but only {end - start} remain", key_at)
            yield number, wire, start, stop, key_at
            pos = stop
        elif wire == FIXED32:
            if pos + 4 > end:
                raise WireError("truncated 32-bit field", key_at)
            pos += 4
            yield number, wire, None, pos, key_at
        elif wire == FIXED64:
            if pos + 8 > end:
                raise WireError("truncated 64-bit field", key_at)
            pos += 8
            yield number, wire, None, pos, key_at
        else:
            raise WireError(f"wire type {wire} (groups or invalid) in field {number}", key_at)


def packed_varints(buf, start: int, stop: int) -> list[int]:
    out = []
    pos = start
    while pos < stop:
        value, pos = read_varint(buf, pos, stop)
        out.append(value)
    return out


def signed64(value: int) -> int:
    """Two's-complement reading of an int64 varint."""
    return value - (1 << 64) if value >= 1 << 63 else value


def encode_varint(value: int) -> bytes:
    """Varint bytes of a non-negative int (negative int64s as 10-byte two's complement)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_key(number: int, wire: int) -> bytes:
    return encode_varint((number << 3) | wire)
