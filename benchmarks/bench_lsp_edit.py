"""Time from a one-character edit of a 10,000-line net to its diagnostics.

Measures what the language server does on ``didChange`` (a full analysis of
the new text through ``Documents.analyse``) against one
``google.protobuf.text_format.Parse`` of the same text, in the same process.
Target (issue 7): under 50 ms and faster than that one parse.  Run:
``python benchmarks/bench_lsp_edit.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from google.protobuf import text_format  # noqa: E402

from netgen import largest_corpus_net, make_large_net, netparameter_class, synthetic_net  # noqa: E402
from prototxt_ls.lsp.documents import Documents  # noqa: E402


def ten_thousand_lines() -> str:
    found = largest_corpus_net()
    base = found.read_text(encoding="utf-8") if found else synthetic_net()
    text = base
    factor = 1
    while text.count("\n") < 10_000:
        factor += 1
        text = make_large_net(base, factor)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    text = ten_thousand_lines()
    mid = text.index("num_output:", len(text) // 2)
    edited = [text[:mid] + "num_outpu:" + text[mid + len("num_output:"):], text]
    cls = netparameter_class()
    docs = Documents()
    docs.analyse("file:///bench.prototxt", text, 0)
    best_edit, best_tf = 9e9, 9e9
    for i in range(args.repeat):
        t0 = time.perf_counter()
        docs.analyse("file:///bench.prototxt", edited[i % 2], i + 1)
        best_edit = min(best_edit, time.perf_counter() - t0)
        t0 = time.perf_counter()
        text_format.Parse(text, cls())
        best_tf = min(best_tf, time.perf_counter() - t0)
    lines = text.count("\n")
    print(f"{lines} lines: edit -> diagnostics {best_edit * 1e3:.1f} ms, text_format.Parse "
          f"{best_tf * 1e3:.1f} ms, ratio {best_edit / best_tf:.2f} (target: < 50 ms and < 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
