"""Load ``grammar/prototxt.lark`` once and expose what the fast path needs.

Lark compiles the grammar into LALR(1) tables (cached on disk by Lark between
runs).  We take three things from it: the parse table, the rules with their
shapes, and the terminal definitions.  The lexer (:mod:`.lexer`) and the
table-driven parser loop (:mod:`.lalr`) are ours, specialised for this
grammar: Lark's general-purpose driver costs about three times protobuf's own
text parser on a large net, ours stays close to it.  The grammar file remains
the single source of truth for the syntax.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import __version__

from ..resources import grammar_path

GRAMMAR_PATH = grammar_path("prototxt.lark")

SHIFT = 0
REDUCE = 1


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One grammar rule as the driver needs it."""

    size: int  # symbols on the right-hand side
    origin: str  # left-hand side nonterminal
    callback: str | None  # builder method, or None for inlined ``_rules``
    #: Positions of children to drop (filtered ``_TERMINALS``) or splice
    #: (values of inlined rules); None when the children pass through as-is.
    plan: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything the parser loop needs, as plain dicts and tuples."""

    #: state -> symbol -> (SHIFT, next_state) or (REDUCE, RuleInfo)
    actions: dict[int, dict[str, tuple[int, object]]]
    start_state: int
    end_state: int
    #: (name, regex, priority) for each terminal, in grammar order.
    terminals: tuple[tuple[str, str, int], ...]
    ignored: frozenset[str]


#: Bump when Tables or RuleInfo change shape, so stale pickles are ignored.
TABLES_FORMAT = 1


@lru_cache(maxsize=1)
def tables() -> Tables:
    """The grammar's LALR tables: from our pickle cache, else compiled by Lark.

    Importing Lark and rebuilding its parser costs ~60 ms, a fifth of the
    budget for linting a small file, so the plain-data tables are pickled
    next to the schema cache, keyed by the grammar's content.
    """
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    key = hashlib.sha256(f"{TABLES_FORMAT}\0{__version__}\0{text}".encode()).hexdigest()[:32]
    cache = _cache_file(key)
    if cache is not None:
        try:
            with cache.open("rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, Tables):
                return loaded
        except Exception:  # missing, corrupt or from another version: rebuild
            pass
    result = _compile(text)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass
    return result


def _cache_file(key: str) -> Path | None:
    try:
        from ..schema.loader import cache_dir

        return cache_dir() / f"prototxt-tables-{key}.pickle"
    except Exception:
        return None


def _compile(text: str) -> Tables:
    from lark import Lark
    from lark.parsers.lalr_analysis import Shift

    lark = Lark(text, parser="lalr", lexer="basic",
                maybe_placeholders=False, cache=True)
    table = lark.parser.parser.parser.parse_table
    rules: dict[object, RuleInfo] = {}
    actions: dict[int, dict[str, tuple[int, object]]] = {}
    for state, row in table.states.items():
        out: dict[str, tuple[int, object]] = {}
        for sym, (action, arg) in row.items():
            if action is Shift:
                out[sym] = (SHIFT, arg)
            else:
                info = rules.get(arg)
                if info is None:
                    info = rules[arg] = _rule_info(arg)
                out[sym] = (REDUCE, info)
        actions[state] = out
    terminals = tuple((t.name, t.pattern.to_regexp(), t.priority) for t in lark.terminals)
    return Tables(actions, table.start_states["start"], table.end_states["start"], terminals,
                  frozenset(lark.lexer_conf.ignore))


def _rule_info(rule) -> RuleInfo:
    names = [str(s.name) for s in rule.expansion]
    plan = tuple("drop" if n.startswith("_") and n.isupper() else
                 "splice" if n.startswith("_") else "keep" for n in names)
    origin = str(rule.origin.name)
    inlined = origin.startswith("_")
    callback = None if inlined else (rule.alias or origin)
    return RuleInfo(len(names), origin, callback, None if all(p == "keep" for p in plan) else plan)
