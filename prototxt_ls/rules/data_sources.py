"""D801 source missing, D802 backend mismatch, D803 TRAIN reading test data.

:func:`data_layers` finds every layer that reads a ``source`` and what kind
of thing that source must be; the image checks (data_images.py) use it too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..analysis.inference import where_range
from ..diagnostics import Fix, TextEdit
from ..layers.params import Params
from ..model.net import LayerView, NetView
from ..positions import Range
from ..schema.model import Schema
from . import catalog_data as cat
from .data_paths import Lookup, db_kind, lookup, name_kind, read_lines
from .pitfall_graph import Findings

#: Layer type -> (kind of source).  ``db``: an LMDB/LevelDB folder; the others are text files.
SOURCE_KINDS = {"Data": "db", "ImageData": "image_list", "HDF5Data": "hdf5_list", "WindowData": "window_file"}
_WHAT = {"image_list": "an image list", "hdf5_list": "a list of HDF5 files", "window_file": "a window file",
         "file": "a file"}


@dataclass
class DataLayer:
    layer: LayerView
    kind: str
    params: Params
    source: str
    look: Lookup | None = None

    @property
    def source_range(self) -> Range | None:
        f = self.params.field("source")
        return f.value.range if f is not None else where_range(self.layer.anchor())


def data_layers(net: NetView, schema: Schema, net_path: Path | None, root: Path | None) -> list[DataLayer]:
    out = []
    for layer in net.layers:
        spec = layer.spec
        kind = SOURCE_KINDS.get(layer.type) if spec is not None else None
        params = None
        try:
            if kind is not None:
                params = layer.type_params(schema, spec)
            elif spec is None and layer.style == "V2" and layer.body is not None:
                lp = layer.layer_params(schema)
                if lp.has("data_param"):  # a fork's database layer (SSD's AnnotatedData)
                    kind, params = "db", lp.message("data_param")
        except (AttributeError, KeyError, TypeError):
            continue
        if params is None or not params.has("source"):
            continue
        source = params.get("source") or ""
        if not isinstance(source, str) or not source.strip():
            continue
        dl = DataLayer(layer, kind, params, source)
        dl.look = lookup(source, net_path, root)
        out.append(dl)
    return out


# ---------------------------------------------------------------------- D801
def check_sources(layers: list[DataLayer], net_path: Path | None, root: Path | None, out: Findings) -> None:
    for dl in layers:
        look = dl.look
        if look is None:
            continue
        rng = dl.source_range
        if look.found is None:
            what = "database folder" if dl.kind == "db" else _WHAT[dl.kind]
            out.add("D801", rng, f"{dl.layer.type} '{dl.layer.name}': source '{dl.source}' ({what}) is not on disk; "
                    f"tried {look.tried_text()}. Caffe opens it from the folder it is started in and stops if "
                    f"it is missing: create it, or run Caffe from the folder this path is written for")
            continue
        if dl.kind != "db" and look.found.is_dir():
            out.add("D801", rng, f"{dl.layer.type} '{dl.layer.name}': source '{look.found}' is a folder, but "
                    f"{dl.layer.type} reads {_WHAT[dl.kind]} (a text file)")
            continue
        if dl.kind == "hdf5_list":
            _check_hdf5_list(dl, look.found, net_path, root, rng, out)


def _check_hdf5_list(dl: DataLayer, found: Path, net_path, root, rng, out: Findings) -> None:
    lines = read_lines(found, cat.IMAGE_LIST_MAX_LINES)
    if lines is None:
        return
    names = [tok for line in lines for tok in line.split()]  # Caffe reads it with `source_file >> line`
    if not names:
        out.add("D801", rng, f"HDF5Data '{dl.layer.name}': '{found}' lists no HDF5 file; Caffe refuses it "
                "(\"Must have at least 1 HDF5 filename listed\")")
        return
    for name in names[:100]:
        look = lookup(name, net_path, root)
        if look is not None and look.found is None:
            out.add("D801", rng, f"HDF5Data '{dl.layer.name}': '{name}', listed in '{found}', is not on disk; "
                    f"tried {look.tried_text()}. Caffe opens the listed files from its working folder and stops "
                    f"at a missing one")
            return


# ---------------------------------------------------------------------- D802
def check_backends(layers: list[DataLayer], out: Findings) -> None:
    for dl in layers:
        if dl.kind != "db":
            continue
        backend = dl.params.get("backend") or "LEVELDB"
        expected = "lmdb" if backend == "LMDB" else "leveldb"
        look = dl.look
        on_disk = look is not None and look.found is not None
        kind = db_kind(look.found) if on_disk else name_kind(dl.source)
        if kind is None or kind == expected:
            continue
        bf = dl.params.field("backend")
        rng = bf.value.range if bf is not None else dl.source_range
        written = "backend is LMDB" if backend == "LMDB" else (
            "backend is LEVELDB" if bf is not None else "backend is LEVELDB (the default: data_param sets none)")
        name = f"{dl.layer.type} '{dl.layer.name}'"
        if kind == "file":
            out.add("D802", rng, f"{name}: '{look.found}' is a file, but a Data layer reads an LMDB or LevelDB "
                    f"folder; to read images listed in a text file, use an ImageData layer")
        elif kind == "empty":
            out.add("D802", rng, f"{name}: '{look.found}' holds neither data.mdb (LMDB) nor CURRENT (LevelDB), "
                    f"so Caffe cannot open it as a database ({written})")
        else:
            right = "LMDB" if kind == "lmdb" else "LEVELDB"
            db = "an LMDB" if kind == "lmdb" else "a LevelDB"
            why = (f"'{look.found}' is {db} database (it holds {'data.mdb' if kind == 'lmdb' else 'CURRENT'})"
                   if on_disk else f"its name '{dl.source}' says it is {db} database")
            out.add("D802", rng, f"{name}: {written}, but {why}, which Caffe cannot open this way: "
                    f"set backend: {right}", fixes=[_backend_fix(dl, bf, right)])


def _backend_fix(dl: DataLayer, bf, right: str) -> Fix:
    if bf is not None:
        return Fix(f"Set backend: {right}", (TextEdit(bf.value.range, right),), safe=False)
    src = dl.params.field("source")
    at = src.value.range.end
    return Fix(f"Add backend: {right}", (TextEdit(Range(at, at), f" backend: {right}"),), safe=False)


# ---------------------------------------------------------------------- D803
def check_train_on_test(layers: list[DataLayer], analysis, out: Findings) -> None:
    phases = analysis.phases
    if "TRAIN" not in phases:
        return
    train = {id(lr.layer) for lr in phases["TRAIN"].layers}
    test = {id(lr.layer) for lr in phases["TEST"].layers} if "TEST" in phases else set()
    train_only = [dl for dl in layers if id(dl.layer) in train and id(dl.layer) not in test]
    test_only = [dl for dl in layers if id(dl.layer) in test and id(dl.layer) not in train]
    for dl in train_only:
        same = next((t for t in test_only if _same_source(dl, t)), None)
        name = f"{dl.layer.type} '{dl.layer.name}'"
        if same is not None:
            out.add("D803", dl.source_range, f"{name} is used in the TRAIN phase only, but reads the same source "
                    f"as the TEST-phase layer '{same.layer.name}' ('{dl.source}'): the net would be scored on "
                    f"the data it trains on", related=[(same.source_range, "the TEST layer's source")])
            continue
        words = _words(dl.source)
        hit = sorted(words & cat.TEST_DATA_WORDS)
        if hit and not words & cat.TRAIN_DATA_WORDS:
            out.add("D803", dl.source_range, f"{name} is used in the TRAIN phase only, but its source "
                    f"'{dl.source}' says '{hit[0]}': training on test or validation data makes the test "
                    f"score meaningless; point it at the training data")


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.split(r"[^A-Za-z]+", text) if w}


def _norm(text: str) -> str:
    return os.path.normpath(text.strip().rstrip("/\\"))


def _same_source(a: DataLayer, b: DataLayer) -> bool:
    if a.kind != b.kind:
        return False
    if _norm(a.source) == _norm(b.source):
        return True
    fa = a.look.found if a.look is not None else None
    fb = b.look.found if b.look is not None else None
    if fa is not None and fb is not None:
        try:
            return fa.samefile(fb)
        except OSError:
            return False
    return False
