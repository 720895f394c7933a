"""Solver checks (R7xx), and linting the net a solver names.

Entry point called by analysis/check.py for every SolverParameter file.
"""

from __future__ import annotations

from ..analysis.report import Sink
from ..config import Config
from ..schema.model import Schema
from ..syntax.tree import Document


def run_solver_rules(doc: Document, schema: Schema, sink: Sink, path, config: Config) -> None:
    """Run every solver rule."""
    return None
