"""What does timing every layer cost?  ``prototxt-ls sim``'s per-layer mode vs the bare module.

    python benchmarks/sim_overhead.py [--device cpu|cuda] [--nets lenet,alexnet,resnet50]
                                      [--batch N] [--size S] [--iterations K] [--rounds R] [--json]
    python benchmarks/sim_overhead.py --emit DIR [--batch N] [--size S]   # write the nets, run nothing

For each net (``tests/nets/netbuilder.py``'s deploy nets, with a label input
and a SoftmaxWithLoss on the classifier so that backward has a loss) this
builds the SimNet once and times, taking turns round by round, best of R:

* whole: ``net.forward(inputs)``, ``net.loss(blobs)``, ``loss.backward()``
  (one autograd call), synchronized per iteration;
* per-layer: :func:`prototxt_ls.sim.timing.time_layers`, what ``prototxt-ls
  sim`` runs (each layer's forward and backward on its own, a clock around
  each, CUDA events on a GPU);

and prints ms per iteration and the ratio per-layer / whole.  Target: under
1.10 (the per-layer mode adds under 10% to the whole-net time).  Defaults are
CI-sized on CPU (LeNet batch 16, AlexNet at 99x99 batch 2); a GPU run
(``benchmarks/gpu_check.sh``) uses AlexNet 227 batch 64 and ResNet-50 224
batch 32.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(ROOT / "tests" / "nets")):
    if p not in sys.path:
        sys.path.insert(0, p)

import netbuilder

TARGET_RATIO = 1.10
#: net -> (builder, classifier top, classes, default size on CPU)
NETS = {
    "lenet": (lambda size: netbuilder.lenet(), "ip2", 10, 28),
    "alexnet": (netbuilder.alexnet, "fc8", 1000, 99),
    "resnet50": (netbuilder.resnet50, "fc1000", 1000, 224),
}


def train_text(name: str, size: int | None = None) -> tuple[str, str]:
    """(prototxt text, data blob): the deploy net plus a label input and a SoftmaxWithLoss."""
    build, logits, _classes, default = NETS[name]
    net = build(size or default) if name != "lenet" else build(None)
    net.input("label", (1,))
    net.softmax_loss("loss", [logits, "label"])
    return net.to_v2(), "data"


def shapes_for(name: str, batch: int, size: int | None) -> dict[str, tuple[int, ...]]:
    _build, _logits, _classes, default = NETS[name]
    side = size or default
    channels = 1 if name == "lenet" else 3
    return {"data": (batch, channels, side, side), "label": (batch,)}


def build(name: str, batch: int, size: int | None, device: str):
    from prototxt_ls.analysis.check import check_text
    from prototxt_ls.sim.net import build_net, make_inputs

    text, _ = train_text(name, size)
    shapes = shapes_for(name, batch, size)
    res = check_text(text, inputs=shapes)
    net = build_net(res, "TRAIN", device=device)
    return net, make_inputs(net, overrides=shapes)


def measure(name: str, batch: int, size: int | None, device: str, iterations: int, warmup: int,
            rounds: int) -> dict:
    from prototxt_ls.sim.timing import measure_overhead

    net, inputs = build(name, batch, size, device)
    o = measure_overhead(net, inputs, iterations=iterations, warmup=warmup, rounds=rounds)
    return {"net": name, "device": device, "batch": batch, "size": size or NETS[name][3],
            "layers": len(net.layers), "whole_ms": round(o.whole_ms, 3), "per_layer_ms": round(o.layerwise_ms, 3),
            "ratio": round(o.ratio, 4)}


def emit(folder: Path, batch: int, size: int | None, names: list[str]) -> None:
    """Write each net as NAME_train.prototxt with its input shapes in a ``# prototxt-ls: input`` header."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        text, _ = train_text(name, size)
        dims = " ".join(f"{k}={','.join(map(str, v))}" for k, v in shapes_for(name, batch, size).items())
        (folder / f"{name}_train.prototxt").write_text(f"# prototxt-ls: input {dims}\n{text}")
        print(folder / f"{name}_train.prototxt")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--nets", default="lenet,alexnet", help="comma-separated: " + ", ".join(NETS))
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: 16 for LeNet, else 2)")
    ap.add_argument("--size", type=int, default=None, help="input side (default: each net's CPU size)")
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: steadier on a shared machine; 0 keeps torch's choice)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--emit", type=Path, metavar="DIR", help="write the nets as prototxt files and stop")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.nets.split(",") if n.strip()]
    unknown = [n for n in names if n not in NETS]
    if unknown:
        ap.error(f"unknown net(s): {', '.join(unknown)}")
    if args.emit is not None:
        emit(args.emit, args.batch or 2, args.size, names)
        return 0
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":

        torch.backends.cudnn.allow_tf32 = False  # Caffe computes in float32
        torch.backends.cuda.matmul.allow_tf32 = False
    rows = []
    for name in names:
        batch = args.batch or (16 if name == "lenet" else 2)
        size = args.size if name != "lenet" else None
        rows.append(measure(name, batch, size, args.device, args.iterations, args.warmup, args.rounds))
        if not args.json:
            r = rows[-1]
            verdict = "ok" if r["ratio"] <= TARGET_RATIO else f"ABOVE TARGET {TARGET_RATIO}"
            print(f"{r['net']:<9} {r['device']:<4} batch {r['batch']:<3} {r['size']}x{r['size']} "
                  f"{r['layers']:>3} layers  whole {r['whole_ms']:9.2f} ms  per-layer {r['per_layer_ms']:9.2f} ms  "
                  f"ratio {r['ratio']:.3f}  {verdict}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
