"""Documentation and defaults of every rule, grouped by family.

Families: S syntax and file encoding, F fields against the schema, V Caffe
format versions, C configuration and directives.  Each entry's ``bad``
example must trigger the rule and its ``good`` example must not: the test
suite lints both, so the docs stay true.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import Rule, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# ------------------------------------------------------------------ S: syntax
SYNTAX_ERROR = register(Rule(
    "S001", "syntax-error", E,
    "Reports text that is not valid protobuf text format: a missing ':' or value, an unclosed "
    "block or string, a stray bracket, a character that has no place in a prototxt.",
    "Caffe reads the file with protobuf's text parser, which stops at the first such mistake "
    "with a terse message; nothing after it is loaded. Each mistake is reported here, and "
    "the rest of the file is still checked.",
    'layer {\n  name "conv1"\n  type: "Convolution"\n}\n',
    'layer {\n  name: "conv1"\n  type: "Convolution"\n}\n', "syntax"))
NOT_UTF8 = register(Rule(
    "S002", "not-utf8", E,
    "Reports bytes that are not valid UTF-8.",
    "protobuf's text format is UTF-8; Caffe fails on other encodings, often with an error far "
    "from the offending byte. Re-save the file as UTF-8.",
    "name: \"caf\\xe9\"   # saved as Latin-1\n", 'name: "cafe"\n', "syntax"))
BINARY_FILE = register(Rule(
    "S003", "binary-file", E,
    "Reports a file that looks binary (it contains NUL bytes), such as a .caffemodel or a "
    ".binaryproto given where a text prototxt was expected.",
    "Caffe's text parser cannot read binary protobuf; pass weights with --weights instead.",
    "(the bytes of a .caffemodel)\n", 'name: "net"\n', "syntax"))
EMPTY_FILE = register(Rule(
    "S004", "empty-file", W,
    "Reports a file with no fields at all (empty, or only comments and spaces).",
    "Caffe accepts an empty net or solver and then fails later with a confusing error "
    "(no layers, no net to train). An empty file is usually a mistake.",
    "# nothing here yet\n", 'name: "net"\n', "syntax"))

# ------------------------------------------------------------------ F: fields
UNKNOWN_FIELD = register(Rule(
    "F101", "unknown-field", E,
    "Reports a field name the message does not have in the loaded caffe.proto, with the "
    "closest known name as a suggestion.",
    "Caffe refuses the whole file: 'Message type \"caffe.X\" has no field named \"y\"'. "
    "A field from a fork (SSD's prior_box_param, a deploy fork's ceil_mode) needs that fork's "
    "caffe.proto: pass it with --proto or a `# proto-file:` header.",
    'layer {\n  name: "conv1"\n  type: "Convolution"\n  convolution_param { num_ouptut: 64 }\n}\n',
    'layer {\n  name: "conv1"\n  type: "Convolution"\n  convolution_param { num_output: 64 }\n}\n',
    "fields"))
WRONG_KIND = register(Rule(
    "F102", "wrong-value-kind", E,
    "Reports a value of the wrong kind for its field: a string where a number is expected, "
    "a number for a message, a block for a scalar, a quoted enum value.",
    "protobuf's text parser rejects the file at that value. In V2 nets `type` is a quoted string "
    "(\"Convolution\"); in V1 nets it is an unquoted enum (CONVOLUTION): mixing them up is common.",
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: "10" }\n}\n',
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: 10 }\n}\n',
    "fields"))
UNKNOWN_ENUM = register(Rule(
    "F103", "unknown-enum-value", E,
    "Reports an enum value the field's enum does not define, and lists the valid ones.",
    "Caffe refuses the file ('Unknown enumeration value'). Values are case-sensitive: MAX, not max.",
    'layer {\n  name: "pool1"\n  type: "Pooling"\n  pooling_param { pool: MAXIMUM kernel_size: 2 }\n}\n',
    'layer {\n  name: "pool1"\n  type: "Pooling"\n  pooling_param { pool: MAX kernel_size: 2 }\n}\n',
    "fields"))
INT_RANGE = register(Rule(
    "F104", "integer-out-of-range", E,
    "Reports an integer that does not fit its field's type (negative for an unsigned field, "
    "beyond 32 or 64 bits).",
    "protobuf rejects it ('Integer out of range'); a negative num_output or kernel_size is also "
    "meaningless to Caffe.",
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: -10 }\n}\n',
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: 10 }\n}\n',
    "fields"))
FLOAT_FOR_INT = register(Rule(
    "F105", "float-for-integer", E,
    "Reports a floating-point literal (1.0, 1e3, 2f) given to an integer field.",
    "protobuf's text parser refuses it ('Expected integer'), even when the value is whole.",
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: 10.0 }\n}\n',
    'layer {\n  name: "fc"\n  type: "InnerProduct"\n  inner_product_param { num_output: 10 }\n}\n',
    "fields"))
DUPLICATE_FIELD = register(Rule(
    "F106", "duplicate-field", E,
    "Reports a non-repeated field set twice in the same block.",
    "protobuf refuses the file ('should not have multiple fields'). Often a copy-paste left "
    "two `kernel_size` or two `convolution_param` blocks; only repeated fields such as "
    "bottom, top, param or dim may appear several times.",
    'layer {\n  name: "conv1"\n  name: "conv2"\n  type: "ReLU"\n}\n',
    'layer {\n  name: "conv1"\n  type: "ReLU"\n}\n', "fields"))
LEGACY_FIELD = register(Rule(
    "F107", "legacy-field-in-layer", E,
    "Reports a V0/V1-only field (blobs_lr, weight_decay, kernelsize, ...) used inside a V2 "
    "`layer` block, and says what replaced it.",
    "V2 `layer` blocks (LayerParameter) do not have these fields, so Caffe refuses the file. "
    "They survive from copying parts of old `layers` nets. In V2, learning-rate and decay "
    "multipliers go in one `param { lr_mult decay_mult }` block per weight blob.",
    'layer {\n  name: "conv1"\n  type: "Convolution"\n  blobs_lr: 1\n  blobs_lr: 2\n}\n',
    'layer {\n  name: "conv1"\n  type: "Convolution"\n  param { lr_mult: 1 }\n  param { lr_mult: 2 }\n}\n',
    "fields"))
DEPRECATED_FIELD = register(Rule(
    "F108", "deprecated-field", W,
    "Reports a field that the loaded caffe.proto marks `[deprecated = true]`.",
    "Deprecated fields still parse, but newer code paths may ignore them; the schema's "
    "documentation names the replacement.",
    "# (a field declared with [deprecated = true] in the loaded caffe.proto)\n",
    'name: "net"\n', "fields"))
MISSING_REQUIRED = register(Rule(
    "F109", "missing-required-field", E,
    "Reports a block that lacks a field its message declares `required` (for example "
    "clip_param's min and max).",
    "protobuf refuses a message with a required field unset ('Message missing required fields').",
    'layer {\n  name: "clip"\n  type: "Clip"\n  clip_param { min: 0 }\n}\n',
    'layer {\n  name: "clip"\n  type: "Clip"\n  clip_param { min: 0 max: 6 }\n}\n', "fields"))
BAD_ESCAPE = register(Rule(
    "F110", "invalid-escape", E,
    "Reports a backslash escape in a string that protobuf does not know (such as `\\d`).",
    "protobuf's text parser refuses unknown escapes. Windows paths need `\\\\` or forward "
    "slashes.",
    'layer {\n  name: "data"\n  type: "Data"\n  data_param { source: "C:\\data\\train_lmdb" }\n}\n',
    'layer {\n  name: "data"\n  type: "Data"\n  data_param { source: "C:/data/train_lmdb" }\n}\n',
    "fields"))
ONEOF_CONFLICT = register(Rule(
    "F111", "oneof-conflict", E,
    "Reports two fields of the same `oneof` set in one block.",
    "Only one member of a oneof can be set; protobuf refuses the second.",
    "# (two members of one oneof, in a fork's schema that declares one)\n",
    'name: "net"\n', "fields"))

# ------------------------------------------------------------------ V: versions
MIXED_STYLES = register(Rule(
    "V201", "mixed-layer-styles", E,
    "Reports a net that has both V2 `layer` blocks and old `layers` blocks (V0 or V1).",
    "Caffe refuses such a net outright ('Refusing to upgrade inconsistent NetParameter input; "
    "the definition includes both layer and layers fields'). Upgrade the old blocks "
    "(Caffe's upgrade_net_proto_text does it) so the whole net is V2.",
    'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 } }\n}\n'
    'layers {\n  name: "relu"\n  type: RELU\n  bottom: "data"\n  top: "data"\n}\n',
    'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 } }\n}\n'
    'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "data"\n}\n', "versions"))
LEGACY_STYLE = register(Rule(
    "V202", "legacy-net-format", I,
    "Reports that a net uses an old format: V1 (`layers` with enum types such as CONVOLUTION) "
    "or V0 (`layers { layer { ... } }`).",
    "Caffe still loads these by upgrading them in memory, but current tools (OpenCV's importer, "
    "converters, netscope) and newer layer types expect V2. Caffe's upgrade_net_proto_text "
    "converts a file (it drops comments).",
    'layers {\n  name: "relu"\n  type: RELU\n  bottom: "x"\n  top: "x"\n}\n',
    'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "x"\n  top: "x"\n}\n', "versions"))

# ------------------------------------------------------------------ G: graph
_INPUT = 'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }\n}\n'
UNKNOWN_BOTTOM = register(Rule(
    "G301", "unknown-bottom", E,
    "Reports a bottom blob that no earlier layer of the phase produces (with the closest blob name).",
    "Caffe aborts while building the net: \"Unknown bottom blob 'x' (layer 'y', bottom index 0)\". "
    "Layers are connected in file order, so the producer must come first; a data layer limited to one "
    "phase or stage leaves its tops missing in the other.",
    _INPUT + 'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "dat"\n  top: "relu"\n}\n',
    _INPUT + 'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "relu"\n}\n', "graph"))
DUPLICATE_LAYER = register(Rule(
    "G302", "duplicate-layer-name", W,
    "Reports two layers with the same name in one net.",
    "Caffe accepts it, but weights are copied from a .caffemodel by layer name and `param` sharing "
    "uses names too: two layers with one name get the same weights, or the wrong ones.",
    _INPUT + 'layer {\n  name: "act"\n  type: "ReLU"\n  bottom: "data"\n  top: "a"\n}\n'
    'layer {\n  name: "act"\n  type: "Sigmoid"\n  bottom: "a"\n  top: "b"\n}\n',
    _INPUT + 'layer {\n  name: "act1"\n  type: "ReLU"\n  bottom: "data"\n  top: "a"\n}\n'
    'layer {\n  name: "act2"\n  type: "Sigmoid"\n  bottom: "a"\n  top: "b"\n}\n', "graph"))
TOP_TWICE = register(Rule(
    "G303", "top-produced-twice", E,
    "Reports a top blob name produced by a second layer outside an in-place chain.",
    "Caffe aborts: \"Top blob 'x' produced by multiple sources\". Reusing a name is only allowed in "
    "place, when a layer's i-th top is its own i-th bottom.",
    _INPUT + 'layer {\n  name: "a"\n  type: "ReLU"\n  bottom: "data"\n  top: "out"\n}\n'
    'layer {\n  name: "b"\n  type: "Sigmoid"\n  bottom: "data"\n  top: "out"\n}\n',
    _INPUT + 'layer {\n  name: "a"\n  type: "ReLU"\n  bottom: "data"\n  top: "out_a"\n}\n'
    'layer {\n  name: "b"\n  type: "Sigmoid"\n  bottom: "data"\n  top: "out_b"\n}\n', "graph"))
BOTTOM_COUNT = register(Rule(
    "G304", "wrong-bottom-count", E,
    "Reports a layer with more or fewer bottoms than its type takes (e.g. a loss without its label).",
    "Caffe aborts at setup: \"SoftmaxWithLoss Layer takes 2 bottom blob(s) as input\".",
    _INPUT + 'layer {\n  name: "loss"\n  type: "SoftmaxWithLoss"\n  bottom: "data"\n  top: "loss"\n}\n',
    _INPUT + 'layer {\n  name: "prob"\n  type: "Softmax"\n  bottom: "data"\n  top: "prob"\n}\n', "graph"))
TOP_COUNT = register(Rule(
    "G305", "wrong-top-count", E,
    "Reports a layer with more or fewer tops than its type produces.",
    "Caffe aborts at setup (\"Layer takes N top blob(s) as output\").",
    _INPUT + 'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "a"\n  top: "b"\n}\n',
    _INPUT + 'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "a"\n}\n', "graph"))
NOT_IN_PLACE = register(Rule(
    "G306", "not-in-place", W,
    "Reports a layer used in place (top == bottom) whose type cannot compute in place.",
    "Caffe does not check this: the layer overwrites its input while still reading it, and the results "
    "(or the gradients) are silently wrong.",
    _INPUT + 'layer {\n  name: "pool"\n  type: "Pooling"\n  bottom: "data"\n  top: "data"\n'
    '  pooling_param { kernel_size: 2 stride: 2 }\n}\n',
    _INPUT + 'layer {\n  name: "pool"\n  type: "Pooling"\n  bottom: "data"\n  top: "pool"\n'
    '  pooling_param { kernel_size: 2 stride: 2 }\n}\n', "graph"))
UNKNOWN_TYPE = register(Rule(
    "G307", "unknown-layer-type", E,
    "Reports a layer type that neither BVLC Caffe nor the loaded caffe.proto knows.",
    "Caffe aborts: \"Unknown layer type: X\". Types are case-sensitive (\"ReLU\", not \"Relu\"); a fork's "
    "layer needs the fork's caffe.proto and a Caffe build with it.",
    _INPUT + 'layer {\n  name: "act"\n  type: "Relu"\n  bottom: "data"\n  top: "act"\n}\n',
    _INPUT + 'layer {\n  name: "act"\n  type: "ReLU"\n  bottom: "data"\n  top: "act"\n}\n', "graph"))
MISSING_PARAM = register(Rule(
    "G308", "missing-layer-parameter", E,
    "Reports a layer missing a parameter its type cannot do without (Convolution without num_output "
    "or a kernel size, Pooling without a kernel, ...).",
    "Caffe aborts at setup with a check failure naming the parameter.",
    _INPUT + 'layer {\n  name: "conv"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv"\n'
    '  convolution_param { kernel_size: 3 }\n}\n',
    _INPUT + 'layer {\n  name: "conv"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv"\n'
    '  convolution_param { num_output: 8 kernel_size: 3 }\n}\n', "graph"))
INCLUDE_EXCLUDE = register(Rule(
    "G309", "include-and-exclude", E,
    "Reports a layer with both include and exclude rules.",
    "Caffe refuses it: \"Specify either include rules or exclude rules; not both.\"",
    _INPUT + 'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n'
    '  include { phase: TRAIN }\n  exclude { stage: "deploy" }\n}\n',
    _INPUT + 'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n'
    '  include { phase: TRAIN }\n}\n', "graph"))
BAD_INPUT_HEADER = register(Rule(
    "G310", "bad-input-header", E,
    "Reports an old-style input header whose `input_dim` / `input_shape` do not match its `input` "
    "entries (4 input_dim per input, or one input_shape per input).",
    "Caffe aborts (\"Incorrect input blob dimension specifications\") or sizes the input wrongly.",
    'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 224\n',
    'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 224\ninput_dim: 224\n', "graph"))

# ------------------------------------------------------------------ H: shapes
_CONV = 'layer {\n  name: "conv"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv"\n'
SHAPE_MISMATCH = register(Rule(
    "H401", "shape-mismatch", E,
    "Reports inputs whose shapes must agree but do not: Concat inputs off the concat axis, Eltwise "
    "inputs, a loss's prediction and label counts.",
    "Caffe aborts at setup or reshape with a check failure on the two shapes.",
    _INPUT + 'layer {\n  name: "pool"\n  type: "Pooling"\n  bottom: "data"\n  top: "pool"\n'
    '  pooling_param { kernel_size: 2 stride: 2 }\n}\nlayer {\n  name: "sum"\n  type: "Eltwise"\n'
    '  bottom: "data"\n  bottom: "pool"\n  top: "sum"\n}\n',
    _INPUT + 'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "relu"\n}\n'
    'layer {\n  name: "sum"\n  type: "Eltwise"\n  bottom: "data"\n  bottom: "relu"\n  top: "sum"\n}\n',
    "shapes"))
EMPTY_OUTPUT = register(Rule(
    "H402", "window-larger-than-input", E,
    "Reports a convolution or pooling window larger than its padded input, which leaves an empty output.",
    "Caffe builds a blob with a zero or negative dimension and aborts; usually the input is smaller than "
    "the net was designed for, or a stride/pool too many shrank it.",
    _INPUT + _CONV + '  convolution_param { num_output: 4 kernel_size: 11 }\n}\n',
    _INPUT + _CONV + '  convolution_param { num_output: 4 kernel_size: 3 }\n}\n', "shapes"))
CROP_TOO_LARGE = register(Rule(
    "H403", "crop-too-large", E,
    "Reports a Crop whose reference (plus offset) is larger than the blob it crops.",
    "Caffe aborts: the crop window must fit inside the input (\"invalid crop parameters\").",
    _INPUT + 'layer {\n  name: "big"\n  type: "Input"\n  top: "big"\n'
    '  input_param { shape { dim: 1 dim: 3 dim: 16 dim: 16 } }\n}\nlayer {\n  name: "crop"\n'
    '  type: "Crop"\n  bottom: "data"\n  bottom: "big"\n  top: "crop"\n}\n',
    _INPUT + 'layer {\n  name: "small"\n  type: "Input"\n  top: "small"\n'
    '  input_param { shape { dim: 1 dim: 3 dim: 4 dim: 4 } }\n}\nlayer {\n  name: "crop"\n'
    '  type: "Crop"\n  bottom: "data"\n  bottom: "small"\n  top: "crop"\n}\n', "shapes"))
RESHAPE_COUNT = register(Rule(
    "H404", "reshape-count-mismatch", E,
    "Reports a Reshape whose new shape does not hold the same number of elements (or cannot infer -1).",
    "Caffe aborts: \"output count must match input count\".",
    _INPUT + 'layer {\n  name: "r"\n  type: "Reshape"\n  bottom: "data"\n  top: "r"\n'
    '  reshape_param { shape { dim: 1 dim: 100 } }\n}\n',
    _INPUT + 'layer {\n  name: "r"\n  type: "Reshape"\n  bottom: "data"\n  top: "r"\n'
    '  reshape_param { shape { dim: 1 dim: -1 } }\n}\n', "shapes"))
SLICE_RANGE = register(Rule(
    "H405", "slice-out-of-range", E,
    "Reports Slice points that are not increasing or fall outside the sliced axis, or an equal split "
    "that does not divide the axis.",
    "Caffe aborts at reshape with a check failure on slice_point.",
    _INPUT + 'layer {\n  name: "s"\n  type: "Slice"\n  bottom: "data"\n  top: "a"\n  top: "b"\n'
    '  slice_param { axis: 1 slice_point: 5 }\n}\n',
    _INPUT + 'layer {\n  name: "s"\n  type: "Slice"\n  bottom: "data"\n  top: "a"\n  top: "b"\n'
    '  slice_param { axis: 1 slice_point: 1 }\n}\n', "shapes"))
AXIS_RANGE = register(Rule(
    "H406", "axis-out-of-range", E,
    "Reports an axis parameter outside the blob's axes (negative axes count from the end).",
    "Caffe aborts: \"axis out of range for N-D blob\".",
    _INPUT + 'layer {\n  name: "sm"\n  type: "Softmax"\n  bottom: "data"\n  top: "sm"\n'
    '  softmax_param { axis: 4 }\n}\n',
    _INPUT + 'layer {\n  name: "sm"\n  type: "Softmax"\n  bottom: "data"\n  top: "sm"\n'
    '  softmax_param { axis: -1 }\n}\n', "shapes"))
INVALID_PARAM = register(Rule(
    "H407", "invalid-layer-parameter", E,
    "Reports a parameter value the layer cannot work with for these inputs (a group that does not "
    "divide the channels, a pad not smaller than the pooling kernel, ...).",
    "Caffe aborts at setup with a check failure on that parameter.",
    _INPUT + _CONV + '  convolution_param { num_output: 4 kernel_size: 3 group: 2 }\n}\n',
    _INPUT + _CONV + '  convolution_param { num_output: 4 kernel_size: 3 group: 1 }\n}\n', "shapes"))

# ------------------------------------------------------------------ W: weights
_MODEL = "# (checked against a .caffemodel: lint NET --weights MODEL)\n"
SHAPE_VS_MODEL = register(Rule(
    "W501", "weights-shape-mismatch", E,
    "Reports a layer whose weight blob has another shape in the .caffemodel than the net expects "
    "(both shapes printed the way Caffe prints them), with Caffe's own fix: rename the layer.",
    "Caffe aborts after loading everything: \"Cannot copy param 0 weights from layer 'fc8'; shape "
    "mismatch\" — the classic fine-tuning failure when num_output changes. A renamed layer is not "
    "copied and starts from its filler.",
    _MODEL + 'layer {\n  name: "fc8"   # 20 classes now; the model has 1000\n  type: "InnerProduct"\n'
    '  inner_product_param { num_output: 20 }\n}\n',
    _MODEL + 'layer {\n  name: "fc8_new"\n  type: "InnerProduct"\n  inner_product_param { num_output: 20 }\n}\n',
    "weights"))
BLOB_COUNT_VS_MODEL = register(Rule(
    "W502", "weights-blob-count", E,
    "Reports a layer with a different number of weight blobs in the net and in the .caffemodel "
    "(e.g. bias_term changed).",
    "Caffe aborts: \"Incompatible number of blobs for layer X\".",
    _MODEL + 'layer {\n  name: "conv1"\n  type: "Convolution"\n  convolution_param { num_output: 96 '
    'kernel_size: 11 bias_term: false }\n}\n',
    _MODEL + 'layer {\n  name: "conv1"\n  type: "Convolution"\n  convolution_param { num_output: 96 '
    'kernel_size: 11 }\n}\n', "weights"))
TYPE_VS_MODEL = register(Rule(
    "W503", "weights-type-differs", W,
    "Reports a layer whose type in the .caffemodel differs from the net's.",
    "Caffe copies by name without checking types; weights trained for another kind of layer are "
    "almost never what was meant.",
    _MODEL + 'layer {\n  name: "fc6"   # a Convolution in the model\n  type: "InnerProduct"\n}\n',
    _MODEL + 'layer {\n  name: "fc6-conv"\n  type: "InnerProduct"\n}\n', "weights"))
MISSING_IN_MODEL = register(Rule(
    "W504", "layer-not-in-weights", W,
    "Reports a layer with weights that the .caffemodel has no layer for.",
    "Caffe silently starts such a layer from its filler: fine for a new head, a surprise for a "
    "renamed backbone layer.",
    _MODEL + 'layer {\n  name: "conv1_renamed"\n  type: "Convolution"\n}\n',
    _MODEL + 'layer {\n  name: "conv1"\n  type: "Convolution"\n}\n', "weights"))
UNUSED_IN_MODEL = register(Rule(
    "W505", "unused-model-layers", I,
    "Reports, once per file, the .caffemodel's layers with weights that the net does not use.",
    "Harmless for Caffe, but a long list usually means the net and the model do not belong together.",
    _MODEL + '# (a model with layers fc8 and fc8_extra; the net has only fc8)\n',
    _MODEL + '# (a model whose layers the net all uses)\n', "weights"))
MODEL_UNREADABLE = register(Rule(
    "W506", "weights-unreadable", E,
    "Reports a .caffemodel that cannot be read: missing, truncated, corrupt, or not a caffemodel.",
    "Caffe would abort while reading it; the byte offset says where the file breaks.",
    "# prototxt-ls: weights=truncated.caffemodel\nname: \"net\"\n",
    "name: \"net\"\n", "weights"))

# ------------------------------------------------------------------ C: configuration
UNKNOWN_DIRECTIVE_CODE = register(Rule(
    "C901", "unknown-rule-in-directive", W,
    "Reports a `# prototxt-ls: disable=...` comment naming a rule that does not exist.",
    "A misspelt code silently suppresses nothing; the diagnostic it meant to silence stays.",
    'name: "net"  # prototxt-ls: disable=F999\n',
    'name: "net"  # prototxt-ls: disable=F101\n', "config"))
SCHEMA_PROBLEM = register(Rule(
    "C902", "schema-problem", E,
    "Reports a caffe.proto that cannot be used: a `# proto-file:` header naming a missing file, "
    "or a schema with syntax errors or unknown types.",
    "Every other check depends on the schema; with a broken one the results would be wrong.",
    "# proto-file: no/such/caffe.proto\nname: \"net\"\n",
    'name: "net"\n', "config"))
UNKNOWN_ROOT = register(Rule(
    "C903", "unknown-root-message", E,
    "Reports a `# proto-message:` header naming a message the schema does not have.",
    "The file would be checked against nothing; name a message of the loaded caffe.proto, "
    "for example caffe.NetParameter or caffe.SolverParameter.",
    "# proto-message: caffe.NoSuchMessage\nname: \"net\"\n",
    "# proto-message: caffe.NetParameter\nname: \"net\"\n", "config"))

BAD_INPUT_DIRECTIVE = register(Rule(
    "C904", "bad-input-directive", W,
    "Reports a `# prototxt-ls: input NAME=N,C,H,W` comment that cannot be read.",
    "The directive gives shapes to blobs whose size Caffe only learns at run time (a Data layer's "
    "images); a malformed one is ignored, so shapes stay unknown.",
    '# prototxt-ls: input data=1,3,two\nname: "net"\n',
    '# prototxt-ls: input data=1,3,224,224\nname: "net"\n', "config"))

#: Rules whose bad example cannot be expressed as plain text in this table.
NO_TEXT_EXAMPLE = frozenset({"S002", "S003", "F108", "F111", "W501", "W502", "W503", "W504", "W505"})
