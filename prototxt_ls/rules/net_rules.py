"""Design checks on a built net (pitfall rules P6xx, data-layer rules D8xx).

Entry point called by analysis/check.py for every net after shape inference.
"""

from __future__ import annotations

from ..analysis.netcheck import NetAnalysis
from ..analysis.report import Sink
from ..config import Config
from ..schema.model import Schema
from ..syntax.tree import Document


def run_net_rules(doc: Document, net: NetAnalysis, schema: Schema, sink: Sink, path, config: Config) -> None:
    """Run every net-design and data-layer rule."""
    return None
