"""Rules of the data family (D8xx): data layers against the files they read.

Documentation and defaults; the checks live in ``rules/data_*.py``.

Caffe opens ``source``, ``mean_file`` and list entries relative to the folder
it is started from, which a linter cannot know.  A relative path is looked up
from the net file's folder, from the project root (the folder holding the
pyproject.toml with ``[tool.prototxt-ls]``), and from the nearest folder above
the net that has the path's first component (``examples/`` for
``examples/mnist/mnist_train_lmdb``: nets are usually run from their
repository's root); every message says which folders were tried.  Checks that
need the disk stay quiet when a path cannot be looked up: a remote URL, an
unexpanded ``$VARIABLE``, a Windows drive path elsewhere, or a relative path
in a file that has no path (an unsaved editor buffer) and no project root.
Findings that depend on those guesses are warnings; only what Caffe refuses
whatever the disk holds is an error.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import Rule, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# ------------------------------------------------------------------ defaults
#: D803: words that mark a path as test or validation data (matched against the
#: path's words, split at anything that is not a letter; "trainval" and
#: "minival" stay whole words and do not match).
TEST_DATA_WORDS = frozenset({"test", "testing", "val", "valid", "validation", "eval", "evaluation"})
#: D803: a path that also has one of these words is not judged ("val/train_lmdb").
TRAIN_DATA_WORDS = frozenset({"train", "training", "trainval"})
#: D807: how many lines of an ImageData list file are read.
IMAGE_LIST_MAX_LINES = 10_000
#: D807: how many bad lines a message quotes.
IMAGE_LIST_QUOTED = 3

# ------------------------------------------------------------------ examples


def _data(params: str, *, tops=("data", "label"), type_="Data", phase="TRAIN", extra="") -> str:
    top_lines = "".join(f'  top: "{t}"\n' for t in tops)
    return (f'layer {{\n  name: "{type_.lower()}_{phase.lower()}"\n  type: "{type_}"\n{top_lines}'
            f'  include {{ phase: {phase} }}\n{extra}{params}}}\n')


def _dp(source: str, backend: str | None = "LMDB", batch: int = 64) -> str:
    b = f" backend: {backend}" if backend else ""
    return f'  data_param {{ source: "{source}"{b} batch_size: {batch} }}\n'


SOURCE_MISSING = register(Rule(
    "D801", "data-source-missing", W,
    "Reports a data layer whose `source` (an LMDB/LevelDB folder, an ImageData or HDF5 list file, "
    "a window file) is not on disk where Caffe would look, with the places tried; also a list file "
    "given as a folder, and an HDF5 list whose first listed file is missing.",
    "Caffe opens the source when it sets the layer up and stops (\"mdb_env_open failed\", \"Failed to "
    "open source file\", \"Failed opening HDF5 file\") before training starts. Usually the database "
    "has not been created yet (create_mnist.sh, convert_imageset) or Caffe is run from another folder "
    "than the relative path assumes: Caffe resolves relative paths from its working directory, so run "
    "it from the folder the paths are written for, or use absolute paths.",
    _data(_dp("/no/such/folder/mnist_train_lmdb")),
    "# relative to the folder Caffe is run from (the repository root)\n"
    + _data(_dp("examples/mnist/mnist_train_lmdb")),
    "data"))

BACKEND_MISMATCH = register(Rule(
    "D802", "data-backend-mismatch", W,
    "Reports a Data layer whose `backend` does not match its database: an LMDB folder (it holds "
    "data.mdb) read with backend LEVELDB, a LevelDB folder (it holds CURRENT) read with LMDB, a folder "
    "holding neither, or a plain file. When the folder is not on disk, a name that says lmdb or "
    "leveldb is taken as the evidence.",
    "`backend` defaults to LEVELDB, so a net that reads an LMDB without saying `backend: LMDB` "
    "fails to open it (\"Invalid argument\" from LevelDB, or \"MDB_INVALID\" the other way round) "
    "and Caffe stops at start-up. A plain file (an image list) needs an ImageData layer, not Data.",
    _data(_dp("examples/mnist/mnist_train_lmdb", backend=None)),
    _data(_dp("examples/mnist/mnist_train_lmdb")),
    "data"))

TRAIN_ON_TEST = register(Rule(
    "D803", "train-reads-test-data", W,
    "Reports a data layer used only in the TRAIN phase whose source is the same as a TEST-phase "
    "layer's, or whose path names test or validation data (test, val, validation, eval as words of "
    "the path; trainval and minival are not flagged).",
    "The net then trains on the data it is scored on, so the test accuracy means nothing; it is "
    "almost always a copy-paste of the TEST layer into the TRAIN one. With LevelDB, opening the same "
    "database from the TRAIN and the TEST net also fails on its lock (\"already held by process\") "
    "and Caffe stops.",
    _data(_dp("examples/mnist/mnist_test_lmdb")) + _data(_dp("examples/mnist/mnist_test_lmdb"), phase="TEST"),
    _data(_dp("examples/mnist/mnist_train_lmdb")) + _data(_dp("examples/mnist/mnist_test_lmdb"), phase="TEST"),
    "data"))

MEAN_FILE_MISSING = register(Rule(
    "D804", "mean-file-missing", W,
    "Reports a `mean_file` (in transform_param, or the deprecated one of a data layer's own "
    "parameters) that is not on disk where Caffe would look, with the places tried. Giving both "
    "mean_file and mean_value is reported as an error by H407, where Caffe refuses it.",
    "Caffe reads the mean image when it builds the data layer's transformer and stops with "
    "\"Check failed: ReadProtoFromBinaryFile\" if it cannot: create it with compute_image_mean, "
    "or use per-channel mean_value entries instead.",
    _data(_dp("examples/imagenet/ilsvrc12_train_lmdb"),
          extra='  transform_param { mean_file: "/no/such/folder/imagenet_mean.binaryproto" }\n'),
    _data(_dp("examples/imagenet/ilsvrc12_train_lmdb"),
          extra="  transform_param { mean_value: 104 mean_value: 117 mean_value: 123 }\n"),
    "data"))

_IMG = '  image_data_param { source: "data/train.txt" batch_size: 32 }\n'
MEAN_VALUE_COUNT = register(Rule(
    "D805", "mean-value-count", E,
    "Reports a transform_param whose number of mean_value entries is neither 1 nor the number of "
    "channels of the images, when that number is known (ImageData: 3, or 1 with is_color: false; "
    "MemoryData: its channels).",
    "DataTransformer checks it for every image (\"Specify either 1 mean_value or as many as "
    "channels\") and Caffe stops on the first batch.",
    _data(_IMG, type_="ImageData", extra="  transform_param { mean_value: 104 mean_value: 117 }\n"),
    _data(_IMG, type_="ImageData",
          extra="  transform_param { mean_value: 104 mean_value: 117 mean_value: 123 }\n"),
    "data"))

CROP_TOO_LARGE = register(Rule(
    "D806", "crop-larger-than-image", W,
    "Reports a crop_size larger than the known size of the images: the size declared for the data "
    "layer's top (a `# prototxt-ls: input` directive or [tool.prototxt-ls.inputs]), or, for an "
    "ImageData layer without new_height/new_width, the size of the first image its list names "
    "(PNG, JPEG, GIF and BMP headers are read). A crop larger than new_height/new_width is H403.",
    "DataTransformer checks that the image is at least crop_size on each side and Caffe stops "
    "(\"Check failed: datum_height >= crop_size\"); every image, not only the first, must be at "
    "least that large.",
    "# prototxt-ls: input data=64,3,200,200\n"
    + _data(_dp("examples/imagenet/ilsvrc12_train_lmdb"), extra="  transform_param { crop_size: 227 }\n"),
    "# prototxt-ls: input data=64,3,227,227\n"
    + _data(_dp("examples/imagenet/ilsvrc12_train_lmdb"), extra="  transform_param { crop_size: 227 }\n"),
    "data"))

IMAGE_LIST_FORMAT = register(Rule(
    "D807", "image-list-format", W,
    "Reports an ImageData list whose lines are not `path label`: empty lines, lines without a space, "
    "labels that are not integers; and a root_folder without a trailing '/', which Caffe glues to "
    "each listed path as is.",
    "ImageData splits each line at its last space and reads the label with atoi: a line without a "
    "space (for example tab-separated) becomes a path with the label inside and label 0, a label "
    "like 'cat' or '0.5' silently becomes 0, and an empty line is an image with an empty path, on "
    "which Caffe stops when it reaches it. The image path is root_folder + path, so root_folder "
    "'data/images' with 'cat.jpg' opens 'data/imagescat.jpg'. "
    "At most catalog_data.IMAGE_LIST_MAX_LINES (10000) lines are read.",
    _data('  image_data_param { source: "data/train.txt" root_folder: "data/images" batch_size: 32 }\n',
          type_="ImageData"),
    _data('  image_data_param { source: "data/train.txt" root_folder: "data/images/" batch_size: 32 }\n',
          type_="ImageData"),
    "data"))
