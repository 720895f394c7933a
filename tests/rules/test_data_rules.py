"""Data-layer rules D801-D807 against real folders and files in tmp dirs.

Each rule: the mistake (with the exact range), the corrected net, and the
cases where the disk cannot tell (remote or unexpanded paths, a file with no
path) staying quiet.  The corpus test holds the rules to real nets: none may
give an error on a net protoc and Caffe accept.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from prototxt_ls.analysis.check import check_text
from prototxt_ls.config import Config
from prototxt_ls.diagnostics import Severity
from prototxt_ls.rules import catalog_data
from prototxt_ls.rules.data_paths import (
    image_list_problem,
    image_size,
    lookup,
    name_kind,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


# ---------------------------------------------------------------------- helpers
def data_layer(params: str, *, type_: str = "Data", phase: str | None = "TRAIN", name: str | None = None,
               tops=("data", "label"), extra: str = "") -> str:
    name = name or f"{type_.lower()}_{(phase or 'all').lower()}"
    inc = f"  include {{ phase: {phase} }}\n" if phase else ""
    top_lines = "".join(f'  top: "{t}"\n' for t in tops)
    return f'layer {{\n  name: "{name}"\n  type: "{type_}"\n{top_lines}{inc}{extra}{params}}}\n'


def dp(source: str, backend: str | None = "LMDB") -> str:
    b = f" backend: {backend}" if backend else ""
    return f'  data_param {{ source: "{source}"{b} batch_size: 4 }}\n'


def idp(source: str, extra: str = "") -> str:
    return f'  image_data_param {{ source: "{source}" batch_size: 4{extra} }}\n'


def lint(text: str, net: Path | None = None, root: Path | None = None, **kw):
    if net is not None:
        net.parent.mkdir(parents=True, exist_ok=True)
        net.write_text(text, encoding="utf-8")
    return check_text(text, path=net, config=Config(root=root), **kw).diagnostics


def only(diagnostics, code: str):
    return [d for d in diagnostics if d.code == code]


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int, int]:
    offset = [m.start() for m in re.finditer(re.escape(needle), text)][nth]
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return line, col, col + len(needle)


def at(d) -> tuple[int, int, int]:
    return d.range.start.line, d.range.start.column, d.range.end.column


def lmdb(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "data.mdb").write_bytes(b"\0" * 16)
    (folder / "lock.mdb").write_bytes(b"")
    return folder


def leveldb(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "CURRENT").write_text("MANIFEST-000001\n")
    return folder


def png(path: Path, width: int, height: int) -> Path:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
                     + struct.pack(">I", zlib.crc32(chunk)))
    return path


def jpeg(path: Path, width: int, height: int) -> Path:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8" + app0 + sof0 + b"\xff\xd9")
    return path


# ---------------------------------------------------------------------- lookup
def test_lookup_tries_the_net_folder_the_root_and_the_repository_root(tmp_path):
    repo = tmp_path / "repo"
    (repo / "examples" / "mnist").mkdir(parents=True)
    net = repo / "models" / "lenet" / "train.prototxt"
    net.parent.mkdir(parents=True)
    look = lookup("examples/mnist/mnist_train_lmdb", net, tmp_path / "cfg")
    assert [why for _, why in look.tried] == ["the net's folder", "the project root",
                                             "the nearest folder above the net with examples/"]
    assert look.tried[2][0] == repo / "examples" / "mnist" / "mnist_train_lmdb"
    assert look.found is None
    lmdb(repo / "examples" / "mnist" / "mnist_train_lmdb")
    assert lookup("examples/mnist/mnist_train_lmdb", net, None).found == repo / "examples/mnist/mnist_train_lmdb"


@pytest.mark.parametrize("text", ["hdfs://cluster/train_lmdb", "s3://bucket/x", "$DATA_ROOT_UNSET_XYZ/train_lmdb",
                                  "%DATA%/x", "C:/data/train_lmdb", ".../imagenet/train_lmdb", "<your path>", ""])
def test_lookup_is_quiet_for_paths_it_cannot_judge(text, tmp_path):
    assert lookup(text, tmp_path / "net.prototxt", None) is None


def test_lookup_needs_a_base_for_relative_paths():
    assert lookup("examples/x_lmdb", None, None) is None
    assert lookup("/no/such/x_lmdb", None, None).tried[0][1] == "as written"


def test_name_kind():
    assert name_kind("examples/mnist/mnist_train_lmdb") == "lmdb"
    assert name_kind("mnist-train-leveldb/") == "leveldb"
    assert name_kind("kitti_train_images.lmdb") == "lmdb"
    assert name_kind("ilsvrc12_train") is None


# ---------------------------------------------------------------------- D801
def test_d801_missing_database_lists_the_places_tried(tmp_path):
    text = data_layer(dp("db/train_lmdb"))
    net = tmp_path / "nets" / "train.prototxt"
    [d] = only(lint(text, net, root=tmp_path), "D801")
    assert d.severity == Severity.WARNING
    assert at(d) == span(text, '"db/train_lmdb"')
    assert str(net.parent / "db" / "train_lmdb") in d.message and "(the net's folder)" in d.message
    assert str(tmp_path / "db" / "train_lmdb") in d.message and "(the project root)" in d.message


def test_d801_found_from_the_net_folder_or_the_root(tmp_path):
    text = data_layer(dp("db/train_lmdb"))
    lmdb(tmp_path / "db" / "train_lmdb")
    assert only(lint(text, tmp_path / "nets" / "train.prototxt", root=tmp_path), "D801") == []
    assert only(lint(text, tmp_path / "train.prototxt"), "D801") == []


def test_d801_absolute_path(tmp_path):
    missing = tmp_path / "nowhere_lmdb"
    text = data_layer(dp(missing.as_posix()))
    [d] = only(lint(text), "D801")
    assert at(d) == span(text, f'"{missing.as_posix()}"') and "(as written)" in d.message
    lmdb(missing)
    assert only(lint(text), "D801") == []


def test_d801_quiet_without_a_net_path_or_for_remote_sources():
    assert only(lint(data_layer(dp("examples/mnist/mnist_train_lmdb"))), "D801") == []
    assert only(lint(data_layer(dp("hdfs://cluster/mnist_train_lmdb"))), "D801") == []


def test_d801_image_list_given_as_a_folder(tmp_path):
    (tmp_path / "lists").mkdir()
    text = data_layer(idp("lists"), type_="ImageData")
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D801")
    assert at(d) == span(text, '"lists"') and "is a folder" in d.message


def test_d801_hdf5_lists(tmp_path):
    net = tmp_path / "train.prototxt"
    hdf = '  hdf5_data_param { source: "data/train.txt" batch_size: 4 }\n'
    text = data_layer(hdf, type_="HDF5Data")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.txt").write_text("\n")
    [d] = only(lint(text, net), "D801")
    assert "lists no HDF5 file" in d.message and at(d) == span(text, '"data/train.txt"')
    (tmp_path / "data" / "train.txt").write_text("data/a.h5\ndata/b.h5\n")
    [d] = only(lint(text, net), "D801")
    assert "'data/a.h5'" in d.message
    (tmp_path / "data" / "a.h5").write_bytes(b"")
    (tmp_path / "data" / "b.h5").write_bytes(b"")
    assert only(lint(text, net), "D801") == []


def test_d801_v1_nets(tmp_path):
    text = ('layers {\n  name: "data"\n  type: DATA\n  top: "data"\n  top: "label"\n'
            '  data_param { source: "missing_lmdb" backend: LMDB batch_size: 4 }\n}\n')
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D801")
    assert at(d) == span(text, '"missing_lmdb"')


# ---------------------------------------------------------------------- D802
def test_d802_leveldb_folder_read_as_lmdb(tmp_path):
    leveldb(tmp_path / "train_db")
    text = data_layer(dp("train_db", "LMDB"))
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D802")
    assert at(d) == span(text, "LMDB")
    assert "holds CURRENT" in d.message and "set backend: LEVELDB" in d.message
    assert d.fixes[0].edits[0].new_text == "LEVELDB"
    assert only(lint(data_layer(dp("train_db", "LEVELDB")), tmp_path / "train.prototxt"), "D802") == []


def test_d802_lmdb_folder_read_with_the_default_backend(tmp_path):
    lmdb(tmp_path / "train_db")
    text = data_layer(dp("train_db", None))
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D802")
    assert at(d) == span(text, '"train_db"')
    assert "the default" in d.message and "holds data.mdb" in d.message
    edit = d.fixes[0].edits[0]
    assert edit.new_text == " backend: LMDB" and edit.range.start == d.range.end
    assert only(lint(data_layer(dp("train_db", "LMDB")), tmp_path / "train.prototxt"), "D802") == []


def test_d802_disk_beats_the_name(tmp_path):
    leveldb(tmp_path / "oddly_named_lmdb")
    text = data_layer(dp("oddly_named_lmdb", "LEVELDB"))
    assert only(lint(text, tmp_path / "train.prototxt"), "D802") == []


def test_d802_empty_folder_and_plain_file(tmp_path):
    (tmp_path / "empty_db").mkdir()
    (tmp_path / "list.txt").write_text("a.jpg 0\n")
    net = tmp_path / "train.prototxt"
    [d] = only(lint(data_layer(dp("empty_db")), net), "D802")
    assert "neither data.mdb (LMDB) nor CURRENT (LevelDB)" in d.message
    [d] = only(lint(data_layer(dp("list.txt")), net), "D802")
    assert "is a file" in d.message and "ImageData" in d.message


def test_d802_the_name_when_the_folder_is_not_there():
    text = data_layer(dp("examples/mnist/mnist_train_leveldb", "LMDB"))
    [d] = only(lint(text), "D802")
    assert "its name" in d.message and "LevelDB" in d.message
    assert only(lint(data_layer(dp("examples/mnist/mnist_train_lmdb", "LMDB"))), "D802") == []


# ---------------------------------------------------------------------- D803
def test_d803_train_and_test_read_the_same_source():
    text = data_layer(dp("db/mnist_lmdb")) + data_layer(dp("db/mnist_lmdb/"), phase="TEST")
    [d] = only(lint(text), "D803")
    assert at(d) == span(text, '"db/mnist_lmdb"')
    assert d.related and d.related[0][0].start.line == span(text, '"db/mnist_lmdb/"')[0]


def test_d803_train_path_says_val():
    text = data_layer(dp("ilsvrc12/val2012_lmdb")) + data_layer(dp("ilsvrc12/train_lmdb"), phase="TEST")
    [d] = only(lint(text), "D803")
    assert at(d) == span(text, '"ilsvrc12/val2012_lmdb"') and "'val'" in d.message


@pytest.mark.parametrize("source", ["voc/trainval_lmdb", "coco/minival_lmdb", "val/train_lmdb", "data/train_lmdb"])
def test_d803_names_that_are_fine_for_training(source):
    text = data_layer(dp(source)) + data_layer(dp("data/test_lmdb"), phase="TEST")
    assert only(lint(text), "D803") == []


def test_d803_only_train_only_layers_are_judged():
    both = data_layer(dp("data/test_lmdb"), phase=None)
    test_only = data_layer(dp("data/test_lmdb"), phase="TEST")
    assert only(lint(both), "D803") == [] and only(lint(test_only), "D803") == []


# ---------------------------------------------------------------------- D804
def test_d804_mean_file(tmp_path):
    net = tmp_path / "train.prototxt"
    tp = '  transform_param { mean_file: "mean.binaryproto" }\n'
    text = data_layer(dp("db_lmdb"), extra=tp)
    [d] = only(lint(text, net), "D804")
    assert at(d) == span(text, '"mean.binaryproto"') and "(the net's folder)" in d.message
    (tmp_path / "mean.binaryproto").write_bytes(b"\x08\x01")
    assert only(lint(text, net), "D804") == []
    (tmp_path / "mean.binaryproto").unlink()
    (tmp_path / "mean.binaryproto").mkdir()
    [d] = only(lint(text, net), "D804")
    assert "is a folder" in d.message


def test_d804_deprecated_mean_file_in_data_param(tmp_path):
    text = data_layer('  data_param { source: "db_lmdb" backend: LMDB batch_size: 4 mean_file: "m.binaryproto" }\n')
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D804")
    assert at(d) == span(text, '"m.binaryproto"')


def test_d804_mean_file_with_mean_value_is_h407_not_d805(tmp_path):
    tp = '  transform_param { mean_file: "m.binaryproto" mean_value: 1 mean_value: 2 }\n'
    codes = [d.code for d in lint(data_layer(idp("l.txt"), type_="ImageData", extra=tp))]
    assert "H407" in codes and "D805" not in codes


# ---------------------------------------------------------------------- D805
def test_d805_mean_values_for_colour_images():
    tp = "  transform_param { mean_value: 104 mean_value: 117 }\n"
    text = data_layer(idp("list.txt"), type_="ImageData", extra=tp)
    [d] = only(lint(text), "D805")
    assert d.severity == Severity.ERROR
    assert at(d) == span(text, "mean_value")
    assert "2 mean_value entries for 3-channel images" in d.message


@pytest.mark.parametrize("values,extra,fine", [
    ("mean_value: 104 mean_value: 117 mean_value: 123", "", True),
    ("mean_value: 128", "", True),
    ("mean_value: 104 mean_value: 117 mean_value: 123", " is_color: false", False),
])
def test_d805_counts(values, extra, fine):
    text = data_layer(idp("list.txt", extra), type_="ImageData", extra=f"  transform_param {{ {values} }}\n")
    assert (only(lint(text), "D805") == []) is fine


def test_d805_quiet_when_the_channels_are_unknown():
    tp = "  transform_param { mean_value: 104 mean_value: 117 }\n"
    assert only(lint(data_layer(dp("db_lmdb"), extra=tp)), "D805") == []


# ---------------------------------------------------------------------- D806
def test_d806_declared_image_size():
    tp = "  transform_param { crop_size: 227 }\n"
    text = "# prototxt-ls: input data=4,3,200,256\n" + data_layer(dp("db_lmdb"), extra=tp)
    [d] = only(lint(text), "D806")
    assert at(d) == span(text, "227") and "200x256" in d.message
    fine = text.replace("4,3,200,256", "4,3,256,256")
    assert only(lint(fine), "D806") == []


@pytest.mark.parametrize("make", [png, jpeg])
def test_d806_first_image_of_an_image_list(tmp_path, make):
    make(tmp_path / "images" / "cat.img", 300, 200)
    (tmp_path / "train.txt").write_text("cat.img 0\n")
    tp = "  transform_param { crop_size: 227 }\n"
    text = data_layer(idp("train.txt", ' root_folder: "images/"'), type_="ImageData", extra=tp)
    net = tmp_path / "train.prototxt"
    [d] = only(lint(text, net), "D806")
    assert at(d) == span(text, "227") and "(200x300)" in d.message
    assert only(lint(text.replace("227", "196"), net), "D806") == []
    resized = text.replace(' root_folder: "images/"', ' root_folder: "images/" new_height: 256 new_width: 256')
    assert only(lint(resized, net), "D806") == []


def test_image_size_readers(tmp_path):
    assert image_size(png(tmp_path / "a.png", 640, 480)) == (480, 640)
    assert image_size(jpeg(tmp_path / "a.jpg", 320, 240)) == (240, 320)
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a" + struct.pack("<HH", 33, 44) + b"\0" * 8)
    assert image_size(gif) == (44, 33)
    bmp = tmp_path / "a.bmp"
    bmp.write_bytes(b"BM" + b"\0" * 12 + struct.pack("<Iii", 40, 50, -60) + b"\0" * 30)
    assert image_size(bmp) == (60, 50)
    junk = tmp_path / "a.txt"
    junk.write_text("not an image")
    assert image_size(junk) is None and image_size(tmp_path / "missing.png") is None


# ---------------------------------------------------------------------- D807
def test_d807_list_lines_that_are_not_path_label(tmp_path):
    (tmp_path / "train.txt").write_text("a.jpg 0\nb.jpg\t1\nc.jpg cat\n\nd e.jpg 3\nf.jpg 2 \n")
    text = data_layer(idp("train.txt"), type_="ImageData")
    [d] = only(lint(text, tmp_path / "train.prototxt"), "D807")
    assert at(d) == span(text, '"train.txt"')
    assert "4 of the first 6 lines" in d.message
    assert "line 2 is tab-separated" in d.message and "line 3 has label 'cat'" in d.message
    assert "line 4 is empty" in d.message and "(and 1 more)" in d.message


def test_d807_a_good_list_and_an_empty_one(tmp_path):
    net = tmp_path / "train.prototxt"
    text = data_layer(idp("train.txt"), type_="ImageData")
    (tmp_path / "train.txt").write_text("a.jpg 0\nsub dir/b c.jpg 1\r\n")
    assert only(lint(text, net), "D807") == []
    (tmp_path / "train.txt").write_text("")
    [d] = only(lint(text, net), "D807")
    assert "is empty" in d.message


@pytest.mark.parametrize("line,problem", [
    ("a.jpg 3", None), ("a.jpg -1\r", None), ("a b.jpg 7", None),
    ("a.jpg", "has no space"), ("a.jpg\t3", "is tab-separated"), ("a.jpg 0.5", "as 0"),
    ("a.jpg 3 ", "ends with a space"), ("   ", "is empty"), ("a.jpg 12abc", "as 12"),
])
def test_image_list_line_parsing(line, problem):
    got = image_list_problem(line)
    assert (got is None) if problem is None else (problem in got)


def test_d807_root_folder_without_a_trailing_slash():
    text = data_layer(idp("train.txt", ' root_folder: "data/images"'), type_="ImageData")
    [d] = only(lint(text), "D807")
    assert at(d) == span(text, '"data/images"')
    assert d.fixes[0].edits[0].new_text == '"data/images/"'
    assert only(lint(text.replace('"data/images"', '"data/images/"')), "D807") == []


def test_d807_root_folder_is_fine_when_the_listed_paths_start_with_a_slash(tmp_path):
    (tmp_path / "train.txt").write_text("/cat.jpg 0\n")
    text = data_layer(idp("train.txt", ' root_folder: "data/images"'), type_="ImageData")
    assert only(lint(text, tmp_path / "train.prototxt"), "D807") == []


def test_d807_reads_at_most_the_configured_number_of_lines(tmp_path, monkeypatch):
    (tmp_path / "train.txt").write_text("a.jpg 0\n" * 5 + "bad\n")
    text = data_layer(idp("train.txt"), type_="ImageData")
    monkeypatch.setattr(catalog_data, "IMAGE_LIST_MAX_LINES", 5)
    assert only(lint(text, tmp_path / "train.prototxt"), "D807") == []


# ---------------------------------------------------------------------- the example file
def test_example_file_shows_every_text_visible_data_rule():
    path = Path(__file__).resolve().parents[2] / "examples" / "pitfalls.prototxt"
    codes = {d.code for d in check_text(path.read_text(encoding="utf-8")).diagnostics}
    assert {"D802", "D803", "D805", "D806", "D807"} <= codes
