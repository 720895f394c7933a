"""Design checks on a built net (pitfall rules P6xx, data-layer rules D8xx).

Entry point called by analysis/check.py for every net after shape inference.
The rules and their thresholds are documented in catalog_pitfalls.py and
catalog_data.py; the checks live in pitfall_*.py and data_*.py.  A finding
seen in several phases is reported once.  Phases the file never names (the
TEST phase of a train-only file) are not judged, as in the shape inference.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis.netcheck import NetAnalysis
from ..analysis.report import Sink
from ..config import Config
from ..schema.model import Schema
from ..syntax.tree import Document
from .data_images import check_image_lists, check_transforms
from .data_sources import (
    check_backends,
    check_sources,
    check_train_on_test,
    data_layers,
)
from .pitfall_graph import Findings, PhaseGraph
from .pitfall_losses import (
    check_implicit_weights,
    check_loss_inputs,
    check_non_loss_weights,
    check_weight_counts,
)
from .pitfall_merges import check_products, check_residual_sums
from .pitfall_widening import check_widening


def run_net_rules(doc: Document, net: NetAnalysis, schema: Schema, sink: Sink, path, config: Config) -> None:
    """Run every net-design and data-layer rule."""
    out = Findings(sink)
    net_path = Path(path) if path is not None else None
    root = config.root
    run_pitfall_rules(net, schema, out)
    run_data_rules(doc, net, schema, out, net_path, root, config.inputs)


def judged_graphs(net: NetAnalysis) -> list[PhaseGraph]:
    """Graphs of the phases the file builds, TRAIN first."""
    named = net.net.phases_named()
    phases = [(name, result) for name, result in net.phases.items() if not named or name in named]
    phases.sort(key=lambda kv: kv[0] != "TRAIN")
    return [PhaseGraph(result) for _, result in phases]


def run_pitfall_rules(net: NetAnalysis, schema: Schema, out: Findings) -> None:
    check_weight_counts(net.net, schema, out)
    for g in judged_graphs(net):
        check_widening(g, out)
        check_products(g, schema, out)
        check_residual_sums(g, schema, out)
        check_loss_inputs(g, schema, out)
        check_non_loss_weights(g, out)
        if g.phase.phase == "TRAIN":
            check_implicit_weights(g, out)


def run_data_rules(doc: Document, net: NetAnalysis, schema: Schema, out: Findings, net_path: Path | None,
                   root: Path | None, inputs: dict) -> None:
    layers = data_layers(net.net, schema, net_path, root)
    check_sources(layers, net_path, root, out)
    check_backends(layers, out)
    check_train_on_test(layers, net, out)
    check_transforms(doc, net, schema, net_path, root, inputs, out)
    check_image_lists(layers, schema, net_path, root, out)
