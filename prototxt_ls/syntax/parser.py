"""Parse text-format source into a :class:`~.tree.Document`, recovering from errors.

Pipeline: :func:`.lexer.tokenize` -> :class:`.lalr.Driver` (tables compiled
by Lark from ``grammar/prototxt.lark``) -> :class:`_Builder` callbacks that
build tree nodes during reductions.  Errors never escape: :mod:`.recovery`
reports each one and repairs the parse so the rest of the file still yields
a tree.
"""

from __future__ import annotations

from ..gcpause import paused_gc
from ..positions import LineIndex, Position, Range
from .lalr import Driver
from .lexer import Token, token_end, token_range, tokenize
from .recovery import Recovery
from .tree import Comment, Document, Field, ListValue, Message, Scalar, SyntaxIssue


class _Builder:
    """Reduction callbacks: one method per rule alias, returning tree nodes.

    Children are token tuples for named terminals and our nodes for
    sub-rules.  Tokens inserted by recovery have empty text, which no real
    token has; that is how an unclosed block or a missing value is recognised.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.unclosed_blocks: list[Message] = []
        self.owners: dict[int, Field] = {}  # unclosed block -> the field it is the value of
        self.errors: list[SyntaxIssue] = []

    # --- leaves
    def string(self, c: list[Token]) -> Scalar:
        first = c[0]
        if len(c) == 1:
            return Scalar("string", first[1], first, first, (first[1],))
        last = c[-1]
        return Scalar("string", self.source[first[2]:last[3]], first, last, tuple(t[1] for t in c))

    def bad_string(self, c: list[Token]) -> Scalar:
        t = c[0]
        self.errors.append(SyntaxIssue("string is not closed: add the missing quote before the end of the line",
                                       token_range(t)))
        return Scalar("bad_string", t[1], t, t, (t[1],))

    def number(self, c: list[Token]) -> Scalar:
        t = c[0]
        return Scalar("number", t[1], t)

    def ident(self, c: list[Token]) -> Scalar:
        t = c[0]
        return Scalar("ident" if t[1] else "missing", t[1], t)

    # --- blocks
    def message(self, c: list) -> Message:
        m = Message(c[1:-1], c[0], c[-1])
        if not c[-1][1]:
            self.unclosed_blocks.append(m)
        return m

    def list(self, c: list) -> ListValue:
        return ListValue(c[1:-1], c[0], c[-1])

    # --- fields
    def scalar_field(self, c: list) -> Field:
        name = c[0]
        return Field(name[1], name, True, c[2])

    list_field = scalar_field

    def message_field(self, c: list) -> Field:
        name, value = c[0], c[-1]
        f = Field(name[1], name, len(c) == 3 and bool(c[1][1]), value)
        if not value.close[1]:
            self.owners[id(value)] = f
        return f

    def start(self, c: list) -> list:
        return c


def parse(text: str) -> Document:
    """Parse ``text``; always returns a Document (errors are in ``.errors``)."""
    comments: list[Token] = []
    errors: list[SyntaxIssue] = []
    lines = LineIndex(text)
    builder = _Builder(text)
    # Parsing allocates many small objects that all survive: the cyclic GC
    # would scan them repeatedly for nothing (about a third of parse time).
    with paused_gc():
        tokens, items, _ = _run(text, comments, errors, lines, builder)
    fields = [f for f in items if isinstance(f, Field)]
    root = Message(fields, None, None, Range(Position(0, 0, 0), token_end(tokens[-1])))
    errors.extend(_builder_errors(builder))
    errors.sort(key=lambda e: e.range.start.offset)
    return Document(text, root, [_comment(t, text) for t in comments], errors, lines)


def _builder_errors(builder: _Builder) -> list[SyntaxIssue]:
    """What the tree builder found: blocks closed only by the end of the file, unterminated strings."""
    out = []
    for block in builder.unclosed_blocks:
        owner = builder.owners.get(id(block))
        closer = block.brackets[1]
        if owner is not None:
            out.append(SyntaxIssue(
                f"'{owner.name}' block is never closed: expected '{closer}' before the end of the file",
                owner.name_range))
        else:
            out.append(SyntaxIssue(f"block is never closed: expected '{closer}' before the end of the file",
                                   block.open_range))
    out.extend(builder.errors)
    return out


def _run(text: str, comments: list, errors: list, lines: LineIndex, builder: _Builder,
         start: int = 0, stop: int | None = None) -> tuple[list, list, bool]:
    """Lex ``text[start:stop]``, then feed the driver, handing each refused token to recovery.

    Also says whether the end of the input needed recovery (something was
    left unfinished: the incremental re-parse must then decline, since the
    text after ``stop`` would have been read instead).
    """
    tokens = tokenize(text, comments, lines, start, stop)
    driver = Driver(builder)
    recovery = Recovery(text, errors, driver)
    i, n = 0, len(tokens)
    end_recovered = False
    while i < n:
        i = driver.run(tokens, i)
        if i < n:
            end_recovered = end_recovered or i == n - 1
            recovery.handle(tokens[i])
            i += 1
    items = driver.result if isinstance(driver.result, list) else []
    return tokens, items, end_recovered


def _comment(tok: Token, text: str) -> Comment:
    line_start = text.rfind("\n", 0, tok[2]) + 1
    own = text[line_start:tok[2]].strip() == ""
    return Comment(tok[1], token_range(tok), own)
