"""Run the real-world corpus in PyTorch: every blob's real shape must equal static inference.

For each net of ``../shared/corpus`` that protoc accepts (EXPECT.tsv ``valid``),
the copy real Caffe loaded is used (``oracle/materialized/``: data layers
replaced by Inputs of known size) when there is one, else the file itself,
under the schema it was written for.  Each phase the file is meant to build
(TEST, and TRAIN where its layers differ) is run forward once at batch 1
(the batch dimension of every input is overridden to 1, and the net is
re-analysed with those inputs so that static shapes agree), then
``prove`` compares every layer's tops with static inference.

A phase with activations and weights above ~1.5 GB or more than
:data:`MAX_GMACS` multiply-accumulates (VGG, FCN, SSD300 at full size: more
than a few seconds on two cores) runs on PyTorch's ``meta`` device instead:
every op computes its output shapes without computing a value, which is
exactly what the proof needs.  An op whose output shape depends on values it
cannot see there is counted, not failed.

A net is left out, and counted by reason, when it has error-level
diagnostics, a layer type without a PyTorch op, a Python layer or an input
of unknown size.  Nets
whose static analysis is identical to one already run (the same net in
several Caffe releases) are run once.  The test prints the figures
(``pytest -s``) and fails on any mismatch or any op that crashes.

Budget: 20 to 40 s on two shared cores (analysis included); the phases over
:data:`SLOW_S` are named in the report, not failed, since timings on a
shared machine vary several-fold.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from corpus_paths import CORPUS, corpus_rows

from prototxt_ls.analysis.check import check_bytes
from prototxt_ls.analysis.inference import judged_phase
from prototxt_ls.analysis.schemas import SchemaStore
from prototxt_ls.diagnostics import Severity
from prototxt_ls.model.phase import named_phases
from prototxt_ls.sim.net import build_net, make_inputs
from prototxt_ls.sim.proof import prove

MAX_BYTES = 1.5e9
MAX_GMACS = 12.0
SLOW_S = 5.0
STORE = SchemaStore()


@dataclass
class Case:
    path: str
    source: Path
    proto: Path | None


@dataclass
class Tally:
    proven: list[tuple[str, str, float]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    not_simulated: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    on_meta: int = 0

    def skip(self, reason: str, what: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, what)


def cases() -> list[Case]:
    """The valid nets, each distinct text once."""
    seen: set[str] = set()
    out = []
    for row in corpus_rows():
        if row["kind"] != "net" or row["expect"] != "valid":
            continue
        materialized = CORPUS / "oracle" / "materialized" / row["path"]
        source = materialized if materialized.is_file() else CORPUS / row["path"]
        proto = None if row["schema"] == "bundled" else CORPUS / row["schema"]
        key = hashlib.sha1(source.read_bytes() + str(proto).encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            out.append(Case(row["path"], source, proto))
    return out


def analyse(case: Case, inputs=None):
    return check_bytes(case.source.read_bytes(), case.source, proto=case.proto, store=STORE, inputs=inputs)


def _is_fed(lr) -> bool:
    """A data layer the simulator feeds (no op of its own), as build_net decides."""
    return lr.layer.style == "header" or (lr.spec is not None and lr.spec.is_data and not lr.spec.torch)


def _known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def fed_tops(phase) -> dict[str, tuple]:
    """The known shapes of every data layer's tops in this phase."""
    out = {}
    for lr in phase.layers:
        if _is_fed(lr):
            for ref, shape in zip(lr.layer.tops, lr.tops):
                if shape and _known(shape):
                    out[ref.name] = shape
    return out


def errors(res) -> list:
    return [d for d in res.diagnostics if d.severity == Severity.ERROR]


def at_batch_one(case: Case, res):
    """Re-analyse with every input's first dim set to 1; the original when that breaks the net."""
    inputs = {}
    for phase in res.net.phases.values():
        for name, shape in fed_tops(phase).items():
            inputs[name] = (1,) + tuple(shape[1:])
    if not inputs:
        return res
    small = analyse(case, inputs)
    return small if small.net is not None and not errors(small) else res


def refusal(res, phase_name: str) -> str | None:
    """Why this phase is not run, or None."""
    phase = res.net.phases[phase_name]
    if not phase.layers:
        return "no layers in the phase"
    if not judged_phase(phase_name, named_phases(res.net.net.layers), phase):
        return "phase not built by the file"
    for lr in phase.layers:
        if lr.spec is None:
            return "unknown layer type"
        if lr.layer.type == "Python":
            return "Python layer"
        if not _is_fed(lr) and not lr.spec.torch:
            return f"no op for {lr.layer.type}"
    fed = [s for lr in phase.layers if _is_fed(lr) for s in lr.tops]
    weights = [w for lr in phase.layers for w in lr.weights]
    if not all(_known(s) for s in fed):
        return "an input's size is not known"
    if not all(_known(s) for s in weights):
        return "a weight shape is not known"
    return None


def too_heavy(res, phase_name: str) -> bool:
    """Too large to compute on two cores within the budget: proven on the meta device."""
    phase = res.net.phases[phase_name]
    weights = [w for lr in phase.layers for w in lr.weights]
    # a top whose size depends on the data (DetectionOutput's) is unknown: proven as "any shape"
    size = 4 * sum(math.prod(s) for s in list(phase.blobs.values()) + weights if _known(s))
    return size > MAX_BYTES or sum(lr.macs or 0 for lr in phase.layers) > MAX_GMACS * 1e9


def signature(phase) -> str:
    """The phase as static analysis sees it: identical nets in several releases run once."""
    parts = [(lr.layer.type, lr.layer.name, [b.name for b in lr.layer.bottoms], lr.tops, lr.weights)
             for lr in phase.layers]
    return hashlib.sha1(repr(parts).encode()).hexdigest()


def run_phase(case: Case, res, phase: str, tally: Tally, device: str = "cpu") -> None:
    start = time.perf_counter()
    try:
        net = build_net(res, phase, device=device)
        with torch.no_grad():
            blobs = net(make_inputs(net))
        mismatches = prove(net, blobs)
    except Exception as exc:  # an op crash is a failure to report, with the net
        if device == "meta":  # an op that needs values (a data-dependent shape): not provable there
            tally.skip("too large for CPU, and an op needs real values (meta device)", f"{case.path} {phase}")
            return
        tally.failures.append(f"{case.path} {phase}: {type(exc).__name__}: {exc}")
        return
    elapsed = time.perf_counter() - start
    for m in mismatches:
        if not m.inherited:
            tally.failures.append(f"{case.path} {phase}: layer '{m.layer.name}' ({m.layer.type}) top '{m.blob}' "
                                  f"is {m.real}, static inference says {m.static}")
    for layer in net.skipped():
        tally.not_simulated[f"{layer.type}: {layer.skipped[:70]}"] += 1
    if not mismatches:
        tally.proven.append((case.path, phase, elapsed))
        if device == "meta":
            tally.on_meta += 1


def report(tally: Tally, total: float) -> str:
    files = len({path for path, _, _ in tally.proven})
    lines = [f"corpus shape proof: {len(tally.proven)} net phases ({files} files) proven in {total:.1f} s "
             f"({sum(t for _, _, t in tally.proven):.1f} s building and running; {tally.on_meta} of them "
             f"on the meta device)"]
    for reason, n in tally.skipped.most_common():
        lines.append(f"  skipped {n:4d}: {reason} (e.g. {tally.examples[reason]})")
    for what, n in tally.not_simulated.most_common():
        lines.append(f"  layers not simulated {n}: {what}")
    slow = sorted(tally.proven, key=lambda p: -p[2])[:5]
    lines.append("  slowest: " + ", ".join(f"{p} {ph} {t:.1f}s" for p, ph, t in slow))
    over = [f"{p} {ph}" for p, ph, t in tally.proven if t > SLOW_S]
    if over:
        lines.append(f"  over {SLOW_S:g} s: " + ", ".join(over))
    return "\n".join(lines)


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_nets_run_with_their_static_shapes():
    all_cases = cases()
    if not all_cases:
        pytest.skip("the corpus (../shared/corpus) is not next to the project")
    torch.manual_seed(0)
    tally = Tally()
    done: set[str] = set()
    start = time.perf_counter()
    for case in all_cases:
        res = analyse(case)
        if res.net is None or errors(res):
            tally.skip("error-level diagnostics", case.path)
            continue
        res = at_batch_one(case, res)
        for phase in ("TEST", "TRAIN"):
            why = refusal(res, phase)
            if why is not None:
                tally.skip(why, f"{case.path} {phase}")
                continue
            sig = signature(res.net.phases[phase])
            if sig in done:
                tally.skip("same net as one already run", f"{case.path} {phase}")
                continue
            done.add(sig)
            run_phase(case, res, phase, tally, "meta" if too_heavy(res, phase) else "cpu")
    total = time.perf_counter() - start
    print("\n" + report(tally, total))
    assert not tally.failures, "\n".join(tally.failures[:20])
    assert len(tally.proven) >= 130, report(tally, total)
    assert not [r for r in tally.skipped if "meta" in r], report(tally, total)
