"""Time from a one-character edit of a 10,000-line net to its published diagnostics.

Measures what the language server does on ``didChange``: ``Documents.analyse``
(re-parse of the edited top-level block, per-block memo for the rest; see
``syntax/incremental.py`` and ``analysis/memo.py``) plus the conversion of
every diagnostic to LSP, against one ``google.protobuf.text_format.Parse``
of the same text, in the same process.  Target (issue 7): under 50 ms and
faster than that one parse.

Two edits in the middle of the net, each applied and undone ``--repeat`` times:

* ``value``: ``lr_mult: 1`` -> ``lr_mult: 2`` (no shape changes: the common
  case of tuning a layer);
* ``typo``: ``num_output:`` -> ``num_outpu:`` (an unknown field, and the
  layer loses its output size: every later layer's shapes are recomputed);
* ``syntax``: ``num_output:`` -> ``num_output::`` (a syntax error in one
  block, as while typing).

Also the full check of the same text (what an editor pays on open, and what
``lint`` pays).  Run: ``python benchmarks/bench_lsp_edit.py [--repeat N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from google.protobuf import text_format  # noqa: E402

from netgen import largest_corpus_net, make_large_net, netparameter_class, synthetic_net  # noqa: E402
from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.lsp.convert import to_lsp_diagnostic  # noqa: E402
from prototxt_ls.lsp.documents import Documents  # noqa: E402

URI = "file:///bench.prototxt"


def ten_thousand_lines() -> str:
    found = largest_corpus_net()
    base = found.read_text(encoding="utf-8") if found else synthetic_net()
    text = base
    factor = 1
    while text.count("\n") < 10_000:
        factor += 1
        text = make_large_net(base, factor)
    return text


def _edited(text: str, old: str, new: str) -> str:
    at = text.index(old, len(text) // 2)
    return text[:at] + new + text[at + len(old):]


def _publish(docs: Documents, text: str, version: int) -> float:
    """Seconds for one didChange: analysis plus the LSP diagnostics it publishes."""
    t0 = time.perf_counter()
    a = docs.analyse(URI, text, version)
    [to_lsp_diagnostic(d, a.lines, URI) for d in a.result.diagnostics]
    return time.perf_counter() - t0


def measure(repeat: int) -> dict:
    text = ten_thousand_lines()
    cls = netparameter_class()
    edits = {"value": _edited(text, "lr_mult: 1", "lr_mult: 2"),
             "typo": _edited(text, "num_output:", "num_outpu:"),
             "syntax": _edited(text, "num_output:", "num_output::")}
    out: dict = {"lines": text.count("\n"), "bytes": len(text.encode())}
    tf: list[float] = []
    version = 0
    for name, edited in edits.items():
        docs = Documents()
        docs.analyse(URI, text, version)
        times = []
        for _ in range(repeat):
            for t in (edited, text):  # the edit, then its undo
                version += 1
                times.append(_publish(docs, t, version))
            t0 = time.perf_counter()
            text_format.Parse(text, cls())
            tf.append(time.perf_counter() - t0)
        out[name] = {"median_ms": statistics.median(times) * 1e3, "best_ms": min(times) * 1e3,
                     "worst_ms": max(times) * 1e3}
    full = []
    for _ in range(max(2, repeat // 3)):
        t0 = time.perf_counter()
        check_text(text)
        full.append(time.perf_counter() - t0)
    out["text_format_ms"] = statistics.median(tf) * 1e3
    out["full_check_ms"] = statistics.median(full) * 1e3
    for name in edits:
        out[name]["ratio"] = out[name]["median_ms"] / out["text_format_ms"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = measure(args.repeat)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"{r['lines']} lines, {r['bytes'] / 1e6:.2f} MB; text_format.Parse {r['text_format_ms']:.1f} ms, "
          f"full check {r['full_check_ms']:.1f} ms")
    for name in ("value", "typo", "syntax"):
        e = r[name]
        print(f"  {name:6} edit -> published diagnostics: median {e['median_ms']:.1f} ms "
              f"(best {e['best_ms']:.1f}, worst {e['worst_ms']:.1f}), ratio to text_format {e['ratio']:.2f}")
    print("target: under 50 ms and a ratio under 1.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
