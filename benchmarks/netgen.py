"""Inputs for the benchmarks: the largest corpus net, a scaled-up copy of it, a synthetic net.

* :func:`largest_corpus_net` finds the largest ``net`` in ``../shared/corpus``
  that EXPECT.tsv marks ``valid`` against the ``bundled`` schema (today
  ``dgschwend__netscope/presets/inceptionv4.prototxt``, 142 KB).
* :func:`make_large_net` scales a net up by repeating its layer blocks with
  renamed layer and blob names, so the result is still a valid net (no
  duplicate layer names, every bottom produced inside its own copy).
* :func:`synthetic_net` writes a plausible V2 net of a given size, used when
  the corpus is not next to the project.

The generator is deliberately independent of prototxt_ls: it scans the text
with its own small tokenizer, so a bug in the parser under test cannot skew
the input it is measured on.  :func:`netparameter_class` gives protobuf's
class for the bundled schema's NetParameter, the baseline's target.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<open>[{<])
  | (?P<close>[}>])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<other>.)
""", re.X | re.S)

_LAYER_KEYWORDS = ("layer", "layers")
_RENAMED_FIELDS = ("name", "top", "bottom")


def largest_corpus_net(corpus: Path | None = None) -> Path | None:
    """Path of the largest valid ``net`` checked against the bundled schema, or None."""
    corpus = CORPUS if corpus is None else corpus
    index = corpus / "EXPECT.tsv"
    if not index.is_file():
        return None
    with index.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")
                if r["kind"] == "net" and r["expect"] == "valid" and r["schema"] == "bundled"]
    paths = [corpus / r["path"] for r in rows if (corpus / r["path"]).is_file()]
    return max(paths, key=lambda p: p.stat().st_size, default=None)


def small_lint_target(corpus: Path | None = None) -> Path | None:
    """A small real net for timing a whole ``prototxt-ls lint`` run, or None."""
    corpus = CORPUS if corpus is None else corpus
    lenet = corpus / "BVLC__caffe" / "examples" / "mnist" / "lenet.prototxt"
    if lenet.is_file():
        return lenet
    bundled = ROOT / "examples" / "lenet_v2.prototxt"
    if bundled.is_file():
        return bundled
    # Otherwise the smallest bundled example that checks clean (the others hold deliberate mistakes).
    from prototxt_ls.analysis.check import check_text

    for path in sorted((ROOT / "examples").glob("*.prototxt"), key=lambda p: p.stat().st_size):
        if not check_text(path.read_text(encoding="utf-8"), path).diagnostics:
            return path
    return None


class _Block:
    """One top-level ``layer { ... }`` (or V1 ``layers``) block of a net."""

    __slots__ = ("start", "end", "names")

    def __init__(self, start: int) -> None:
        self.start = start
        self.end = start
        #: (start, end, field, raw value without quotes) of each renamable string.
        self.names: list[tuple[int, int, str, str]] = []


def layer_blocks(text: str) -> list[_Block]:
    """The top-level layer blocks, with the ``name``/``top``/``bottom`` strings directly inside them."""
    tokens = [(m.lastgroup, m.start(), m.end()) for m in _TOKEN.finditer(text)
              if m.lastgroup not in ("space", "comment")]
    blocks: list[_Block] = []
    depth = 0
    block: _Block | None = None
    field = None
    for i, (kind, start, end) in enumerate(tokens):
        if kind == "open":
            if depth == 0:
                # `layer {` or `layer: {`: the keyword is one or two tokens back.
                j = i - 1
                if j >= 0 and text[tokens[j][1]:tokens[j][2]] == ":":
                    j -= 1
                if j >= 0 and tokens[j][0] == "ident" and text[tokens[j][1]:tokens[j][2]] in _LAYER_KEYWORDS:
                    block = _Block(tokens[j][1])
            depth += 1
            field = None
        elif kind == "close":
            depth = max(depth - 1, 0)
            if depth == 0 and block is not None:
                block.end = end
                blocks.append(block)
                block = None
            field = None
        elif block is not None and depth == 1:
            if kind == "ident":
                nxt = text[tokens[i + 1][1]:tokens[i + 1][2]] if i + 1 < len(tokens) else ""
                if nxt in (":", "{", "<"):
                    field = text[start:end]
            elif kind == "string" and field in _RENAMED_FIELDS:
                block.names.append((start, end, field, text[start + 1:end - 1]))
    return blocks


def make_large_net(text: str, factor: int) -> str:
    """``text`` with its layer blocks repeated so the net holds ``factor`` copies of them.

    Copy ``k`` (k >= 1) renames every layer ``name`` and every blob that a
    layer of the net produces (a ``top`` that is not also that layer's
    ``bottom``) by appending ``_x{k}``; blobs produced outside the layers (a
    deploy net's ``input:``) stay shared.  Nested names (``param { name }``)
    are kept, so shared weights stay shared.  The copies are appended after
    the original text, each block keeping its original formatting.
    """
    if factor < 1:
        raise ValueError("factor must be at least 1")
    blocks = layer_blocks(text)
    if not blocks:
        raise ValueError("the text has no layer blocks to repeat")
    produced: set[str] = set()
    for b in blocks:
        tops = {v for _, _, f, v in b.names if f == "top"}
        bottoms = {v for _, _, f, v in b.names if f == "bottom"}
        produced |= tops - bottoms
    parts = [text.rstrip("\n"), "\n"]
    for k in range(1, factor):
        suffix = f"_x{k}"
        for b in blocks:
            pos = b.start
            out = []
            for start, end, field, value in b.names:
                if field == "name" or value in produced:
                    out.append(text[pos:end - 1])
                    out.append(suffix)
                    pos = end - 1
            out.append(text[pos:b.end])
            parts.append("".join(out))
            parts.append("\n")
    return "".join(parts)


def synthetic_net(target_bytes: int = 140_000) -> str:
    """A valid V2 net (Input, then conv/BN/scale/ReLU stages, then a classifier) of about ``target_bytes``."""
    out = ['name: "synthetic"\n',
           'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
           '  input_param {\n    shape {\n      dim: 1\n      dim: 3\n      dim: 224\n      dim: 224\n'
           '    }\n  }\n}\n']
    size = sum(map(len, out))
    prev = "data"
    i = 0
    while size < target_bytes:
        i += 1
        conv = f"conv{i}"
        stage = (
            f'layer {{\n  name: "{conv}"\n  type: "Convolution"\n  bottom: "{prev}"\n  top: "{conv}"\n'
            f'  param {{\n    lr_mult: 1\n    decay_mult: 1\n  }}\n'
            f'  convolution_param {{\n    num_output: {32 * (1 + i % 8)}\n    bias_term: false\n'
            f'    pad: 1\n    kernel_size: 3\n    stride: 1\n'
            f'    weight_filler {{\n      type: "msra"\n    }}\n  }}\n}}\n'
            f'layer {{\n  name: "{conv}_bn"\n  type: "BatchNorm"\n  bottom: "{conv}"\n  top: "{conv}"\n'
            f'  batch_norm_param {{\n    use_global_stats: true\n    eps: 1e-05\n  }}\n}}\n'
            f'layer {{\n  name: "{conv}_scale"\n  type: "Scale"\n  bottom: "{conv}"\n  top: "{conv}"\n'
            f'  scale_param {{\n    bias_term: true\n  }}\n}}\n'
            f'layer {{\n  name: "{conv}_relu"\n  type: "ReLU"\n  bottom: "{conv}"\n  top: "{conv}"\n}}\n'
        )
        out.append(stage)
        size += len(stage)
        prev = conv
    out.append(
        f'layer {{\n  name: "pool"\n  type: "Pooling"\n  bottom: "{prev}"\n  top: "pool"\n'
        f'  pooling_param {{\n    pool: AVE\n    global_pooling: true\n  }}\n}}\n'
        f'layer {{\n  name: "fc"\n  type: "InnerProduct"\n  bottom: "pool"\n  top: "fc"\n'
        f'  inner_product_param {{\n    num_output: 1000\n  }}\n}}\n'
        f'layer {{\n  name: "prob"\n  type: "Softmax"\n  bottom: "fc"\n  top: "prob"\n}}\n')
    return "".join(out)


def benchmark_source() -> tuple[str, str]:
    """(label, text) of the net the benchmarks measure: the largest corpus net, else a synthetic one."""
    path = largest_corpus_net()
    if path is None:
        return "synthetic", synthetic_net()
    return path.relative_to(CORPUS).as_posix(), path.read_text(encoding="utf-8")


def netparameter_class() -> type:
    """protobuf's class for the bundled schema's caffe.NetParameter (what text_format.Parse fills)."""
    from prototxt_ls.schema.loader import bundled_schema

    try:
        from prototxt_ls.schema.descriptors import message_class
    except ImportError:  # descriptors.py not there: compile the bundled proto with protoc
        return _net_class_from_protoc()
    return message_class(bundled_schema(), "NetParameter")


def _net_class_from_protoc() -> type:
    import subprocess
    import sys
    import tempfile

    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = ROOT / "prototxt_ls" / "schema" / "caffe.proto"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "caffe.pb"
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{proto.parent}",
                        f"--descriptor_set_out={out}", proto.name], check=True)
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for fdp in fds.file:
        pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.NetParameter"))
