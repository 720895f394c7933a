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

#: Rules whose bad example cannot be expressed as plain text in this table.
NO_TEXT_EXAMPLE = frozenset({"S002", "S003", "F108", "F111"})
