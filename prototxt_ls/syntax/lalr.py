"""A small LALR(1) driver over the tables Lark computed for our grammar.

It does what Lark's own driver does (shift, reduce, goto), minus the
generality we do not need, plus two things recovery needs: the set of
terminals acceptable now, and the value just below the cursor.  Reductions
call the builder's method named after the rule (or its alias); inlined
``_rules`` splice their children into the parent; ``_TERMINALS`` are dropped.
"""

from __future__ import annotations

from .grammar import SHIFT, RuleInfo, tables
from .lexer import Token


class _Splice(list):
    """Children of an inlined rule, to be spliced into the parent's."""

    __slots__ = ()


class Driver:
    """The parse stacks for one parse."""

    __slots__ = ("actions", "end_state", "states", "values", "builder", "result")

    def __init__(self, builder: object) -> None:
        t = tables()
        self.actions = t.actions
        self.end_state = t.end_state
        self.states: list[int] = [t.start_state]
        self.values: list[object] = []
        self.builder = builder
        self.result: object = None

    def accepts(self, kind: str) -> bool:
        """Would a token of ``kind`` be shifted now?  (Simulated on a copy.)

        LALR tables may list a terminal in a state's row only to reduce and
        then fail; this follows the reductions to be sure.
        """
        actions = self.actions
        states = list(self.states)
        while True:
            act = actions[states[-1]].get(kind)
            if act is None:
                return False
            if act[0] == SHIFT:
                return True
            rule = act[1]
            if rule.size:
                del states[-rule.size:]
            goto = actions[states[-1]][rule.origin][1]
            if goto == self.end_state and kind == "$END":
                return True
            states.append(goto)

    def expected(self) -> set[str]:
        """Terminals the parser can really take in its current state."""
        row = self.actions[self.states[-1]]
        return {s for s in row if (s.isupper() or s[0] == "$" or (s[0] == "_" and s[1:2].isupper()))
                and self.accepts(s)}

    def pop_token(self) -> Token:
        """Take back the token just shifted (recovery re-reads it another way)."""
        self.states.pop()
        return self.values.pop()

    def previous_value(self, depth: int = 2) -> object:
        """The value ``depth`` places from the top of the stack, or None."""
        return self.values[-depth] if len(self.values) >= depth else None

    def top_token(self) -> Token | None:
        """The token just shifted, if the top of the stack is a token."""
        v = self.values[-1] if self.values else None
        return v if type(v) is tuple else None

    def feed(self, tok: Token) -> bool:
        """Shift one token (after any reductions); False when it is not acceptable."""
        return self.run([tok], 0) == 1

    def run(self, tokens: list[Token], i: int) -> int:
        """Feed ``tokens[i:]`` until one is refused; return its index.

        Returns ``len(tokens)`` when all were taken.  On ``$END`` the parse
        reduces to the start symbol, stored in ``result``.  One tight loop
        over the whole token list: this is the parser's hot path.
        """
        actions = self.actions
        states = self.states
        values = self.values
        builder = self.builder
        end_state = self.end_state
        n = len(tokens)
        while i < n:
            tok = tokens[i]
            kind = tok[0]
            undo = None
            while True:
                act = actions[states[-1]].get(kind)
                if act is None:
                    if undo:  # take back reductions made on this doomed lookahead
                        for popped_states, popped_values, base, base_len in reversed(undo):
                            if base is not None:
                                del base[base_len:]
                            states.pop()
                            values.pop()
                            states.extend(popped_states)
                            values.extend(popped_values)
                    return i
                if act[0] == SHIFT:
                    states.append(act[1])
                    values.append(tok)
                    break
                rule: RuleInfo = act[1]  # type: ignore[assignment]
                size = rule.size
                if size:
                    children = values[-size:]
                    del values[-size:]
                    popped = states[-size:]
                    del states[-size:]
                else:
                    children = []
                    popped = []
                plan = rule.plan
                base = None
                if plan is not None:
                    if plan[0] == "splice":
                        # Left-recursive list rules: grow the list in place
                        # (copying it would make long blocks quadratic).
                        base = children[0]
                        base_len = len(base)
                        flat = base
                        for how, child in zip(plan[1:], children[1:]):
                            if how == "keep":
                                flat.append(child)
                            elif how == "splice":
                                flat.extend(child)
                    else:
                        flat = []
                        for how, child in zip(plan, children):
                            if how == "keep":
                                flat.append(child)
                            elif how == "splice":
                                flat.extend(child)
                if undo is None:
                    undo = []
                undo.append((popped, children, base, base_len if base is not None else 0))
                if plan is not None:
                    children = flat
                cb = rule.callback
                if cb is None:
                    value = children if base is not None else _Splice(children)
                else:
                    value = getattr(builder, cb)(children)
                goto = actions[states[-1]][rule.origin][1]
                states.append(goto)
                values.append(value)
                if goto == end_state and kind == "$END":
                    self.result = value
                    break
            i += 1
        return i
