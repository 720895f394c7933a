"""The textproto header comments that choose a file's schema and root message.

    # proto-file: path/to/caffe.proto
    # proto-message: caffe.SolverParameter

They are honoured in the comments before the first field, like the
convention used across protobuf tooling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..positions import Range
from ..syntax.tree import Document

_HEADER = re.compile(r"#\s*proto-(file|message)\s*:\s*(\S+)")


@dataclass
class Headers:
    proto_file: str | None = None
    proto_file_range: Range | None = None
    proto_message: str | None = None
    proto_message_range: Range | None = None


def read_headers(doc: Document) -> Headers:
    h = Headers()
    first_field = doc.root.fields[0].line if doc.root.fields else 1 << 30
    for c in doc.comments:
        if c.range.start.line > first_field:
            break
        m = _HEADER.match(c.text)
        if not m:
            continue
        if m.group(1) == "file":
            h.proto_file, h.proto_file_range = m.group(2), c.range
        else:
            h.proto_message, h.proto_message_range = m.group(2), c.range
    return h
