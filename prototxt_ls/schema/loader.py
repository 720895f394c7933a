"""Load a proto2 file (BVLC caffe.proto or a fork's) into the Schema model.

Why this shape:

* Speed.  The CLI linter loads a schema on every start and a whole lint must
  stay well under 0.3 s, so a loaded Schema is pickled to
  ``$XDG_CACHE_HOME/prototxt-ls/`` (default ``~/.cache/prototxt-ls/``), keyed
  by the sha256 of the text, the package version, ``SCHEMA_FORMAT`` and a
  stamp (size, mtime) of the modules that shape a Schema.  A
  warm load is a file read, a hash and an unpickle; lark is imported only on
  a cache miss, and the Lark parser itself is built once per process from
  Lark's own grammar cache.  Any cache problem (read-only dir, corrupt or
  stale pickle) silently falls back to parsing.
* Robustness.  Bad input never raises: syntax errors become ``SchemaError``
  entries with the range of the offending token, and parsing resumes after
  blanking the broken statement (see ``_recover``), so one typo in a fork's
  schema does not hide the rest of it.
* Meaning (scopes, type resolution, checks, docs) lives in
  ``_proto2_build.py``; see its docstring for the Range convention (the NAME
  token of each definition) and the first-definition-wins conflict policy.

Importing this module imports neither lark, google.protobuf, pygls nor torch.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import threading
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..positions import LineIndex
from .model import Schema, SchemaError

#: Bump whenever the model, the grammar or the builder changes what a loaded
#: Schema contains; old cache entries then simply stop matching.
SCHEMA_FORMAT = 1

_MAX_ATTEMPTS = 40  # parse + recover rounds before giving up on a file
_MASK = re.compile(r'//[^\n]*|/\*[\s\S]*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_TERMINAL_WORDS = {"NAME": "a name", "INT": "an integer",
                   "FLOAT": "a number", "STRING": "a string", "SIGN": "'-'"}


class SchemaLoadError(Exception):
    """The .proto file could not be read at all (not: it has errors)."""

    def __init__(self, path, reason: str) -> None:
        super().__init__(f"cannot load schema {path}: {reason}")
        self.path = str(path)
        self.reason = reason


def load_schema(path, *, use_cache: bool = True) -> Schema:
    """Load the .proto file at ``path``; raise SchemaLoadError if unreadable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SchemaLoadError(path, exc.strerror or str(exc)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaLoadError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return load_schema_text(text, str(path), use_cache=use_cache)


def load_schema_text(text: str, path: str | None = None, *, use_cache: bool = True) -> Schema:
    """Load proto2 source ``text``; errors are reported in ``Schema.errors``."""
    key = _cache_key(text) if use_cache else None
    if key is not None:
        schema = _cache_read(key)
        if schema is not None:
            schema.path = path
            return schema
    from ._proto2_build import build_schema

    tree, comments, errors = _parse(text)
    schema = build_schema(tree, text, comments, path, errors)
    if key is not None:
        _cache_write(key, schema)
    return schema


@lru_cache(maxsize=1)
def bundled_schema() -> Schema:
    """The caffe.proto shipped with the package (BVLC master), loaded once per
    process.  Shared: callers must not mutate it."""
    return load_schema(Path(__file__).with_name("caffe.proto"))


# -- the content-keyed pickle cache ------------------------------------------


def cache_dir() -> Path:
    """Where loaded schemas (and Lark's grammar tables) are cached."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "prototxt-ls"


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """Size and mtime of the code that shapes a loaded Schema.

    Belt and braces for SCHEMA_FORMAT: other people edit model.py, and a
    pickle of an older class layout would unpickle "successfully" into
    objects with missing attributes.  Costs a few stat() calls per process.
    """
    here = Path(__file__).resolve().parent
    files = [here / name for name in ("model.py", "_proto2_build.py", "_proto2_text.py", "loader.py")]
    parts = []
    try:
        files.append(_grammar_file())
    except FileNotFoundError:
        pass  # reported when the parser is built
    for file in files:
        try:
            st = file.stat()
            parts.append(f"{file.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{file.name}:?")
    return ";".join(parts)


def _cache_key(text: str) -> str:
    digest = hashlib.sha256(f"{SCHEMA_FORMAT}\0{__version__}\0{_code_stamp()}\0".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _cache_read(key: str) -> Schema | None:
    try:
        with open(cache_dir() / f"schema-{key}.pickle", "rb") as fh:
            schema = pickle.load(fh)
    except Exception:  # missing, unreadable, corrupt, or from an old class layout
        return None
    return schema if isinstance(schema, Schema) else None


def _cache_write(key: str, schema: Schema) -> None:
    """Write atomically (temp file + rename) so readers never see half a file."""
    import tempfile

    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".schema-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(schema, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"schema-{key}.pickle")
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:
        pass


# -- parsing -------------------------------------------------------------------

_lock = threading.Lock()  # guards the parser's comment sink below
_parser = None
_comment_sink: list = []


def _grammar_file() -> Path:
    """``grammar/proto2.lark`` in a checkout, ``prototxt_ls/grammar/`` when
    installed (see prototxt_ls.resources)."""
    from ..resources import grammar_path

    return grammar_path("proto2.lark")


def _collect_comment(token):
    # COMMENT is %ignore'd, but Lark still hands ignored tokens to callbacks.
    _comment_sink.append(token)
    return token


def _get_parser():
    global _parser
    if _parser is None:
        from lark import Lark

        cache: bool | str = True  # Lark's default: a file in the temp dir
        try:
            cache_dir().mkdir(parents=True, exist_ok=True)
            if os.access(cache_dir(), os.W_OK):
                cache = str(cache_dir() / "proto2-grammar.lark-cache")
        except OSError:
            pass
        _parser = Lark(_grammar_file().read_text(encoding="utf-8"), parser="lalr",
                       lexer="contextual", cache=cache,
                       lexer_callbacks={"COMMENT": _collect_comment})
    return _parser


def _parse(text: str):
    """Parse with recovery: (tree or None, comment tokens, syntax errors)."""
    from lark.exceptions import UnexpectedInput

    errors: list[SchemaError] = []
    index = LineIndex(text)
    work = text
    with _lock:
        parser = _get_parser()
        for _ in range(_MAX_ATTEMPTS):
            del _comment_sink[:]
            try:
                tree = parser.parse(work, on_error=_demote_keyword)
                return tree, list(_comment_sink), errors
            except UnexpectedInput as exc:
                work = _recover(parser, work, exc, errors, index)
            except Exception as exc:  # a lark bug must not take the server down
                errors.append(SchemaError(f"internal parser error: {exc}", index.range(0, 0)))
                work = None
            if work is None:
                break
        else:
            errors.append(SchemaError("too many syntax errors; giving up on this file",
                                      index.range(0, 0)))
    return None, [], errors


def _demote_keyword(exc) -> bool:
    """Lark ``on_error`` hook: re-read a keyword as a NAME where only a name fits.

    The contextual lexer picks a keyword whenever the parser state *may*
    accept it, and LALR merges lookaheads, so after ``option ...;`` inside an
    enum the word ``optional`` lexes as the label keyword even though only an
    enum value name can follow.  Feeding it again as NAME fixes that; any other
    error returns False and goes to the statement-level recovery in _parse.
    """
    token = getattr(exc, "token", None)
    if (token is None or token.type in ("NAME", "$END") or "NAME" not in exc.expected
            or not token.value.isidentifier()):
        return False
    from lark import Token

    exc.interactive_parser.feed_token(Token.new_borrow_pos("NAME", token.value, token))
    return True


def _describe_expected(parser, names) -> str:
    words = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name != "$END":
            term = parser.get_terminal(name)
            words.add(f"'{term.pattern.value}'" if term.pattern.type == "str" else name)
    if not words or len(words) > 8:
        return ""
    return f" (expected {', '.join(sorted(words))})"


def _recover(parser, work: str, exc, errors: list[SchemaError], index: LineIndex) -> str | None:
    """Record ``exc`` as a SchemaError and return ``work`` with the broken
    statement blanked out (offsets and line numbers kept), or None to stop."""
    n = len(index.text)
    token = getattr(exc, "token", None)
    if token is not None and token.type == "$END":
        if not any(e.range and e.range.start.offset >= n for e in errors):
            expected = _describe_expected(parser, exc.expected)
            errors.append(SchemaError(f"unexpected end of file{expected}", index.range(n, n)))
        return work + "\n}" if len(work) - n < 200 else None
    pos = token.start_pos if token is not None else exc.pos_in_stream
    if work.startswith("/*", pos):  # the comment regexp found no "*/"
        errors.append(SchemaError("syntax error: unterminated /* comment", index.range(pos, pos + 2)))
        return _blank(work, pos, len(work))
    if token is not None:
        end = token.end_pos
        message = f"unexpected '{token.value}'" + _describe_expected(parser, exc.expected)
    else:
        end = pos + 1
        char = work[pos]
        if char in "\"'":
            message = "unterminated string"
            end = work.find("\n", pos)
            end = len(work) if end == -1 else end
        else:
            message = f"unexpected character {char!r}"
    if pos < n:
        errors.append(SchemaError(f"syntax error: {message}", index.range(pos, min(end, n))))
    return _blank_statement(work, pos)


def _blank(work: str, start: int, end: int) -> str:
    gap = re.sub(r"[^\n]", " ", work[start:end])
    return work[:start] + gap + work[end:]


def _blank_statement(work: str, pos: int) -> str | None:
    """Blank the statement around ``pos``: from the previous ``;``/``{``/``}``
    to the next ``;`` (or a ``{...}`` block, or up to a ``}``)."""
    masked = _MASK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), work)
    start = max(masked.rfind(c, 0, pos) for c in ";{}") + 1
    if masked[pos:pos + 1] == "}":
        end = pos if masked[start:pos].strip() else pos + 1
    else:
        found = [(i, c) for c in ";{}" if (i := masked.find(c, pos)) != -1]
        i, c = min(found) if found else (len(work), "")
        if c == ";":
            end = i + 1
        elif c == "}":
            end = i if masked[start:i].strip() else i + 1
        elif c == "{":
            depth, end = 0, len(work)
            for j in range(i, len(masked)):
                depth += {"{": 1, "}": -1}.get(masked[j], 0)
                if depth == 0:
                    end = j + 1
                    break
        else:
            end = len(work)
    if not masked[start:end].strip():
        if pos >= len(work):
            return None
        start, end = pos, pos + 1
    return _blank(work, start, end)
