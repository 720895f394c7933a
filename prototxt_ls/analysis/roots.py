"""Which message a file is: a net, a solver, or another message of the schema.

Caffe itself knows from the command (``caffe train --solver``); a linter has
to guess.  Order: the ``# proto-message:`` header; a file name containing
``solver``; then the content: the candidate whose fields best cover the
file's top-level field names (NetParameter wins ties, it is the common case).
"""

from __future__ import annotations

from ..schema.model import MessageDef, Schema
from ..syntax.tree import Document

NET = "NetParameter"
SOLVER = "SolverParameter"
#: Messages a whole file may plausibly hold, in order of preference.
CANDIDATES = (NET, SOLVER, "LabelMap", "NetState", "LayerParameter", "V1LayerParameter")


def guess_root(doc: Document, schema: Schema, filename: str | None) -> MessageDef | None:
    """The root message for ``doc``, or None if the schema has none of ours."""
    names = {f.name for f in doc.root.fields}
    if filename and "solver" in filename.lower():
        solver = schema.message(SOLVER)
        if solver is not None and (not names or names & set(solver.fields)):
            return solver
    best, best_score = None, -1
    for cand in CANDIDATES:
        m = schema.message(cand)
        if m is None:
            continue
        score = len(names & set(m.fields))
        if score > best_score:
            best, best_score = m, score
    return best
