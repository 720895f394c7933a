"""Streaming .caffemodel reader versus protobuf's full parse: time and peak RSS.

    python benchmarks/bench_caffemodel.py [--size vgg16] [--repeat N] [--keep] [--dir DIR] [--json]

Writes a model of zeros for the net (``--size``: vgg16 by default, 138,357,544
parameters, 553 MB; also alexnet, resnet50, lenet) once into a temporary
directory with ``prototxt_ls.weights.writer``, then measures, each run in a
fresh ``python`` subprocess so that the peak RSS is that task's alone:

* **ours**: ``read_caffemodel(path)`` (mmap, float data skipped), then the
  shape check: every layer's BlobInfo shapes against the weights
  ``check_text`` infers for the net's prototxt (done before the timer starts
  and reported as its own column);
* **protobuf**: ``NetParameter.ParseFromString(open(path, "rb").read())``
  (the bundled schema's class, upb backend), then the same shape check on the
  parsed message;
* **baseline**: the same imports and ``check_text`` and nothing else, to show
  how much of each peak RSS is the interpreter and the analysis.

Peak RSS: each worker reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
and, on Linux, ``VmHWM`` from ``/proc/self/status``; the table uses VmHWM
where it exists, because on Linux a child's ru_maxrss starts at its parent's
peak (see ``_maxrss_mb``): run from a big process (pytest after a parse of
a large model), ru_maxrss would report the parent's memory, not the task's.

Each is run ``--repeat`` times (default 3; the file is in the page cache after
it is written); the table shows the best time and the largest peak RSS.
Both sides must find the same layers and shapes, or the script fails.
The model is deleted at the end unless ``--keep`` (its path is printed).

Targets: ours < 1 s and < 150 MB peak RSS on VGG-16, and >= 20x faster than
the full parse.  Not part of the test suite (half a gigabyte of disk and a
few seconds); ``tests/weights`` runs a LeNet-sized version.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NETS = ROOT / "tests" / "nets"
for p in (str(ROOT), str(NETS)):
    if p not in sys.path:
        sys.path.insert(0, p)

SIZES = ("vgg16", "alexnet", "resnet50", "lenet")
TARGET_S = 1.0
TARGET_RSS_MB = 150.0
TARGET_RATIO = 20.0


def _maxrss_mb() -> tuple[float, float | None]:
    """(getrusage ru_maxrss, /proc/self/status VmHWM or None) in MB.

    Why both: Linux carries the parent's high-water mark into a child across
    exec (``signal->maxrss`` takes the old mm's peak, and ``subprocess``
    starts children with vfork), so a child's ``ru_maxrss`` is at least its
    parent's peak RSS at spawn time, even memory the parent has freed since.
    VmHWM belongs to the child's own address space and is the true per-task
    peak; it is what the table shows where it exists.
    """
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru = rss / (1 << 20) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux
    hwm = None
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return ru, hwm


def expected_weights(size: str) -> list[tuple[str, list[tuple[int, ...]]]]:
    """(layer name, weight shapes) the analysis expects, for every TRAIN layer with weights."""
    import netbuilder

    from prototxt_ls.analysis.check import check_text

    res = check_text(getattr(netbuilder, size)().to_v2())
    return [(lr.layer.name, [tuple(s) for s in lr.weights])
            for lr in res.net.phases["TRAIN"].layers if lr.weights]


# ---------------------------------------------------------------- workers (subprocesses)
def worker(kind: str, size: str, path: str) -> dict:
    t0 = time.perf_counter()
    want = expected_weights(size)
    analysis_s = time.perf_counter() - t0
    out = {"kind": kind, "analysis_s": analysis_s}
    if kind == "ours":
        from prototxt_ls.weights.reader import read_caffemodel

        t0 = time.perf_counter()
        info = read_caffemodel(path)
        read_s = time.perf_counter() - t0
        got = [(m.name, [b.shape for b in m.blobs]) for m in info.layers]
        ok = got == want
        total_s = time.perf_counter() - t0
    elif kind == "protobuf":
        from prototxt_ls.schema.descriptors import message_class
        from prototxt_ls.schema.loader import bundled_schema

        net_cls = message_class(bundled_schema(), "NetParameter")
        t0 = time.perf_counter()
        msg = net_cls()
        with open(path, "rb") as fh:
            msg.ParseFromString(fh.read())
        read_s = time.perf_counter() - t0
        got = [(layer.name, [tuple(b.shape.dim) for b in layer.blobs]) for layer in msg.layer]
        ok = got == want
        total_s = time.perf_counter() - t0
    elif kind == "baseline":
        read_s = total_s = 0.0
        ok = True
    else:
        raise SystemExit(f"unknown worker {kind}")
    ru, hwm = _maxrss_mb()
    out.update(read_s=read_s, total_s=total_s, ok=ok, layers=len(want), ru_maxrss_mb=ru, vmhwm_mb=hwm,
               maxrss_mb=hwm if hwm is not None else ru)
    return out


def run_worker(kind: str, size: str, path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--size", size,
                           "--model", str(path)], capture_output=True, text=True, env=env, cwd=str(ROOT))
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- driver
def write_model(size: str, directory: Path) -> tuple[Path, int, int, float]:
    import netbuilder

    from prototxt_ls.analysis.check import check_text
    from prototxt_ls.weights.writer import weight_layers, write_caffemodel

    layers = weight_layers(check_text(getattr(netbuilder, size)().to_v2()))
    path = directory / f"{size}.caffemodel"
    t0 = time.perf_counter()
    nbytes = write_caffemodel(path, layers, name=size, fill="zeros")
    return path, nbytes, sum(w.count() for w in layers), time.perf_counter() - t0


def measure(size: str = "vgg16", repeat: int = 3, keep: bool = False, directory: str | None = None) -> dict:
    from google.protobuf import __version__ as protobuf_version
    from google.protobuf.internal import api_implementation

    tmp = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="bench_caffemodel_"))
    tmp.mkdir(parents=True, exist_ok=True)
    path, nbytes, params, write_s = write_model(size, tmp)
    try:
        runs: dict[str, list[dict]] = {"baseline": [], "ours": [], "protobuf": []}
        for _ in range(repeat):  # take turns, so a load spike hits all alike
            for kind in runs:
                runs[kind].append(run_worker(kind, size, path))
        for kind, results in runs.items():
            bad = [r for r in results if not r["ok"]]
            if bad:
                raise SystemExit(f"{kind}: the layers and shapes read differ from the net's expected weights")
        best = {k: {"total_s": min(r["total_s"] for r in v), "read_s": min(r["read_s"] for r in v),
                    "analysis_s": min(r["analysis_s"] for r in v), "maxrss_mb": max(r["maxrss_mb"] for r in v),
                    "ru_maxrss_mb": max(r["ru_maxrss_mb"] for r in v)}
                for k, v in runs.items()}
        ours, full = best["ours"], best["protobuf"]
        ratio = full["total_s"] / ours["total_s"] if ours["total_s"] else float("inf")
        return {
            "size": size, "bytes": nbytes, "params": params, "layers": runs["ours"][0]["layers"],
            "write_s": write_s, "repeat": repeat, "best": best, "ratio": ratio,
            "targets": {"ours_s": ours["total_s"] < TARGET_S, "ours_rss": ours["maxrss_mb"] < TARGET_RSS_MB,
                        "ratio": ratio >= TARGET_RATIO},
            "python": platform.python_version(), "protobuf": protobuf_version,
            "protobuf_backend": api_implementation.Type(), "cpus": os.cpu_count(),
            "rss_source": "VmHWM" if runs["ours"][0]["vmhwm_mb"] is not None else "ru_maxrss",
            "driver_ru_maxrss_mb": _maxrss_mb()[0],
            "model": str(path) if keep else None,
        }
    finally:
        if not keep:
            path.unlink(missing_ok=True)
            if not directory:
                shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict) -> str:
    b = r["best"]
    mark = {True: "met", False: "MISSED"}
    lines = [
        f"{r['size']}: {r['bytes'] / 1e6:.1f} MB, {r['params']:,} parameters, {r['layers']} layers with weights; "
        f"written (zeros) in {r['write_s']:.2f} s",
        f"Python {r['python']}, protobuf {r['protobuf']} ({r['protobuf_backend']}), {r['cpus']} CPUs; "
        f"best of {r['repeat']} fresh subprocesses; peak RSS = largest {r['rss_source']} of the runs "
        f"(getrusage ru_maxrss: baseline {b['baseline']['ru_maxrss_mb']:.0f}, ours {b['ours']['ru_maxrss_mb']:.0f}, "
        f"protobuf {b['protobuf']['ru_maxrss_mb']:.0f} MB; driver {r['driver_ru_maxrss_mb']:.0f} MB)",
        "",
        "| task | read | read + shape check | check_text (not timed) | peak RSS |",
        "|---|---:|---:|---:|---:|",
        f"| baseline (imports + check_text) | - | - | {b['baseline']['analysis_s'] * 1e3:.0f} ms "
        f"| {b['baseline']['maxrss_mb']:.0f} MB |",
        f"| ours: read_caffemodel | {b['ours']['read_s'] * 1e3:.1f} ms | {b['ours']['total_s'] * 1e3:.1f} ms "
        f"| {b['ours']['analysis_s'] * 1e3:.0f} ms | {b['ours']['maxrss_mb']:.0f} MB |",
        f"| protobuf: ParseFromString(read()) | {b['protobuf']['read_s'] * 1e3:.0f} ms "
        f"| {b['protobuf']['total_s'] * 1e3:.0f} ms | {b['protobuf']['analysis_s'] * 1e3:.0f} ms "
        f"| {b['protobuf']['maxrss_mb']:.0f} MB |",
        "",
        f"ratio protobuf / ours (read + shape check): {r['ratio']:.0f}x",
        f"targets: ours < {TARGET_S:g} s {mark[r['targets']['ours_s']]}, "
        f"< {TARGET_RSS_MB:g} MB RSS {mark[r['targets']['ours_rss']]}, "
        f">= {TARGET_RATIO:g}x {mark[r['targets']['ratio']]}",
    ]
    if r["model"]:
        lines.append(f"model kept at {r['model']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=SIZES, default="vgg16")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the written model (its path is printed)")
    ap.add_argument("--dir", help="write the model here instead of a new temporary directory")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", choices=("ours", "protobuf", "baseline"), help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.size, args.model)))
        return 0
    r = measure(args.size, max(1, args.repeat), args.keep, args.dir)
    print(json.dumps(r, indent=2) if args.json else report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
