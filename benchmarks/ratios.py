"""How much slower than protobuf's own text parser are we?  One process, best of N.

    python benchmarks/ratios.py [--repeat N] [--json] [--hyperfine] [--profile [K]]

For the largest corpus net and a 10x copy of it (see ``netgen.py``) this
times, after one warm-up call each:

* ``check_text`` (parse + schema check, what the linter and server run),
* ``parse`` alone (syntax tree, no schema),
* ``google.protobuf.text_format.Parse`` into the bundled schema's NetParameter,

and prints the best time of N (``time.perf_counter``; the three take turns
round by round) and the ratios ours / text_format.  It also times a whole ``python -m prototxt_ls lint -q``
run on a small net in a subprocess (best wall time of N); ``--hyperfine``
additionally runs that command under hyperfine and reports its mean.
``--profile`` prints the top functions by own time (cProfile ``tottime``) of
``check_text`` on the largest net.

Targets (see README.md): check_text / text_format <= 1.5 on the largest net,
a lint of a small file under 0.3 s wall.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from google.protobuf import __version__ as protobuf_version  # noqa: E402
from google.protobuf import text_format  # noqa: E402

from netgen import (benchmark_source, make_large_net, netparameter_class, small_lint_target,  # noqa: E402
                    synthetic_net)
from prototxt_ls.analysis.check import check_text  # noqa: E402
from prototxt_ls.diagnostics import Severity  # noqa: E402
from prototxt_ls.syntax.parser import parse  # noqa: E402

FACTOR = 10
TARGET_RATIO = 1.5
TARGET_LINT_S = 0.3


def best_of(fns: dict, repeat: int) -> dict:
    """Best wall time in seconds of ``repeat`` calls of each function, after one warm-up call each.

    The functions take turns round by round, so a load spike from elsewhere
    on the machine hits all of them alike instead of skewing one ratio.
    """
    for fn in fns.values():
        fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for key, fn in fns.items():
            gc.collect()  # start each run from the same heap; the run itself keeps gc as it is
            t0 = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t0)
    return best


def schema_check(text: str):
    """Parse + schema check: what text_format.Parse does (syntax and fields)."""
    return check_text(text, net_checks=False)


def time_net(label: str, text: str, cls, repeat: int) -> dict:
    result = schema_check(text)
    errors = [d for d in result.diagnostics if d.severity == Severity.ERROR]
    if errors:
        raise SystemExit(f"{label}: schema errors, refusing to time it: {errors[:3]}")
    msg = text_format.Parse(text, cls())
    best = best_of({"check": lambda: schema_check(text), "parse": lambda: parse(text),
                    "full": lambda: check_text(text),
                    "text_format": lambda: text_format.Parse(text, cls())}, repeat)
    check_s, parse_s, tf_s, full_s = best["check"], best["parse"], best["text_format"], best["full"]
    return {
        "net": label, "bytes": len(text), "layers": len(msg.layer) + len(msg.layers),
        "diagnostics": len(result.diagnostics),
        "check_text_s": check_s, "parse_s": parse_s, "text_format_s": tf_s, "full_lint_s": full_s,
        "ratio_check": check_s / tf_s, "ratio_parse": parse_s / tf_s, "ratio_full": full_s / tf_s,
    }


def lint_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "prototxt_ls", "lint", "-q", str(path)]


def time_lint(path: Path, repeat: int) -> dict:
    cmd = lint_command(path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)  # warm-up (schema cache)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return {"file": str(path), "command": " ".join(cmd), "exit_code": proc.returncode,
            "summary": proc.stdout.strip().splitlines()[-1:] or [""], "best_wall_s": best}


def time_lint_hyperfine(path: Path, repeat: int) -> dict | None:
    exe = shutil.which("hyperfine")
    if exe is None:
        return None
    cmd = " ".join(lint_command(path))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hf.json"
        # -N: no intermediate shell, so its start-up is not counted; exit code 1 (findings) is fine.
        subprocess.run([exe, "-N", "--warmup", "3", "--runs", str(max(repeat, 10)), "-i",
                        "--export-json", str(out), "--style", "none", cmd],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        res = json.loads(out.read_text())["results"][0]
    return {"command": cmd, "mean_s": res["mean"], "stddev_s": res["stddev"],
            "min_s": res["min"], "runs": len(res["times"])}


def profile(text: str, top: int) -> str:
    import cProfile
    import io
    import pstats

    check_text(text)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        check_text(text)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def machine() -> dict:
    from google.protobuf.internal import api_implementation

    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "protobuf": protobuf_version,
            "protobuf_backend": api_implementation.Type()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (best is kept; default 5)")
    ap.add_argument("--json", action="store_true", help="print machine-readable results")
    ap.add_argument("--hyperfine", action="store_true", help="also time the lint command with hyperfine")
    ap.add_argument("--profile", type=int, nargs="?", const=10, default=0, metavar="K",
                    help="print the top K functions by tottime of check_text on the largest net")
    ap.add_argument("--no-lint", action="store_true", help="skip the lint subprocess timing")
    args = ap.parse_args(argv)
    repeat = max(args.repeat, 1)

    label, text = benchmark_source()
    cls = netparameter_class()
    nets = [time_net(label, text, cls, repeat),
            time_net(f"{label} x{FACTOR}", make_large_net(text, FACTOR), cls, repeat)]

    lint = hyper = None
    if not args.no_lint:
        target = small_lint_target()
        tmp = None
        if target is None:  # no corpus, no examples: lint a small synthetic net
            tmp = tempfile.NamedTemporaryFile("w", suffix=".prototxt", delete=False)
            tmp.write(synthetic_net(3_000))
            tmp.close()
            target = Path(tmp.name)
        try:
            lint = time_lint(target, repeat)
            if args.hyperfine:
                hyper = time_lint_hyperfine(target, repeat)
        finally:
            if tmp is not None:
                os.unlink(tmp.name)

    report = {"machine": machine(), "repeat": repeat, "nets": nets, "lint": lint, "hyperfine": hyper,
              "targets": {"ratio_check_largest": TARGET_RATIO, "lint_wall_s": TARGET_LINT_S},
              "meets_targets": {
                  "ratio_check_largest": nets[0]["ratio_check"] <= TARGET_RATIO,
                  "lint_wall_s": None if lint is None else lint["best_wall_s"] < TARGET_LINT_S}}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report, args.hyperfine)
    if args.profile:
        print(f"\ncProfile of check_text on {label} (5 runs), top {args.profile} by tottime:")
        print(profile(text, args.profile))
    return 0


def print_table(report: dict, wanted_hyperfine: bool) -> None:
    m = report["machine"]
    print(f"Python {m['python']}, protobuf {m['protobuf']} ({m['protobuf_backend']}), "
          f"{m['cpus']} CPUs, best of {report['repeat']}\n")
    head = (f"{'net':<58} {'KB':>6} {'layers':>6} {'check':>9} {'parse':>9} {'full':>9} {'text_fmt':>9} "
            f"{'check/tf':>8} {'parse/tf':>8} {'full/tf':>8}")
    print(head)
    print("-" * len(head))
    for n in report["nets"]:
        print(f"{n['net'][-58:]:<58} {n['bytes'] / 1000:>6.0f} {n['layers']:>6} "
              f"{n['check_text_s'] * 1e3:>7.1f}ms {n['parse_s'] * 1e3:>7.1f}ms {n['full_lint_s'] * 1e3:>7.1f}ms "
              f"{n['text_format_s'] * 1e3:>7.1f}ms "
              f"{n['ratio_check']:>8.2f} {n['ratio_parse']:>8.2f} {n['ratio_full']:>8.2f}")
    ok = report["meets_targets"]
    print(f"\ntarget check/tf <= {TARGET_RATIO} on the largest net: {'met' if ok['ratio_check_largest'] else 'MISSED'}")
    lint = report["lint"]
    if lint is not None:
        print(f"\nlint wall time (best of {report['repeat']}): {lint['best_wall_s'] * 1e3:.0f} ms  "
              f"[{lint['summary'][0]}]  target < {TARGET_LINT_S * 1e3:.0f} ms: "
              f"{'met' if ok['lint_wall_s'] else 'MISSED'}")
        print(f"  {lint['command']}")
    hyper = report["hyperfine"]
    if hyper is not None:
        print(f"hyperfine: mean {hyper['mean_s'] * 1e3:.0f} ms ± {hyper['stddev_s'] * 1e3:.0f} ms, "
              f"min {hyper['min_s'] * 1e3:.0f} ms ({hyper['runs']} runs)")
    elif wanted_hyperfine and lint is not None:
        print("hyperfine: not installed (apt-get install hyperfine)")


if __name__ == "__main__":
    sys.exit(main())
