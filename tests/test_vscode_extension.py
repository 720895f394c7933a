"""The VS Code extension (vscode-extension/): its manifest agrees with the server,
its grammar and language configuration are sound, and — unless npm is missing or
SKIP_NPM is set — it installs, builds, passes its own tests and packages a .vsix."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "vscode-extension"
SECTION = "prototxt-ls"
#: Settings only the client reads (how to start the server, message tracing).
CLIENT_KEYS = {"interpreter", "path", "trace.server"}
#: The settings the issue asks for, passed to the server.
SERVER_KEYS = {"proto", "select", "ignore", "inlayShapes", "weights", "inputs"}
COMMANDS = {
    "prototxt-ls.restartServer": "Restart Server",
    "prototxt-ls.upgradeFile": "Upgrade File",
    "prototxt-ls.showShapes": "Show Shapes",
    "prototxt-ls.showOutput": "Show Output",
}


def _json(rel: str) -> dict:
    return json.loads((EXT / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return _json("package.json")


@pytest.fixture(scope="module")
def grammar(manifest) -> dict:
    return _json(manifest["contributes"]["grammars"][0]["path"])


# ------------------------------------------------------------------ manifest
def test_language_contribution(manifest):
    (lang,) = manifest["contributes"]["languages"]
    assert lang["id"] == "prototxt"
    assert lang["extensions"] == [".prototxt"]
    assert (EXT / lang["configuration"]).is_file()
    first_line = re.compile(lang["firstLine"])  # plain enough for Python's re too
    assert first_line.search("# proto-message: caffe.NetParameter")
    assert first_line.search("# proto-file: third_party/caffe/src/caffe/proto/caffe.proto")
    assert not first_line.search("# proto-message: tensorflow.GraphDef")


def test_activation(manifest):
    # An extension with no activation event for its language never starts its client.
    assert manifest["activationEvents"] == ["onLanguage:prototxt"]
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["engines"]["vscode"].startswith("^1.")
    assert set(manifest["dependencies"]) == {"vscode-languageclient"}
    assert "@vscode/vsce" in manifest["devDependencies"]


def test_grammar_contribution(manifest, grammar):
    (contribution,) = manifest["contributes"]["grammars"]
    assert contribution["language"] == "prototxt"
    assert contribution["scopeName"] == "source.prototxt" == grammar["scopeName"]


def test_commands(manifest):
    declared = {c["command"]: c["title"] for c in manifest["contributes"]["commands"]}
    assert declared == COMMANDS
    ids = (EXT / "src" / "ids.ts").read_text(encoding="utf-8")
    editor = (EXT / "src" / "editor.ts").read_text(encoding="utf-8")
    for command in COMMANDS:
        key = command.split(".", 1)[1]
        assert f'{key}: "{command}"' in ids
        assert f"registerCommand(COMMANDS.{key}," in editor


def test_settings_match_the_server(manifest):
    from prototxt_ls.config import _KNOWN_KEYS
    from prototxt_ls.lsp.features import diagnostics

    props = manifest["contributes"]["configuration"]["properties"]
    keys = {k.removeprefix(f"{SECTION}.") for k in props}
    assert all(k.startswith(f"{SECTION}.") for k in props)
    assert keys == SERVER_KEYS | CLIENT_KEYS
    # What the server reads: the [tool.prototxt-ls] keys, plus inlayShapes in the LSP settings.
    apply_settings = inspect.getsource(diagnostics.apply_settings)
    server_reads = set(_KNOWN_KEYS) | ({"inlayShapes"} if '"inlayShapes"' in apply_settings else set())
    assert SERVER_KEYS <= server_reads, SERVER_KEYS - server_reads
    # ...from the `prototxt-ls` section of workspace/configuration.
    assert 'section="prototxt-ls"' in inspect.getsource(diagnostics)
    # The client's mapping names the same keys.
    mapping = (EXT / "src" / "settings.ts").read_text(encoding="utf-8")
    for key in SERVER_KEYS:
        assert f'"{key}"' in mapping
    assert props[f"{SECTION}.inlayShapes"]["default"] is True
    assert props[f"{SECTION}.select"]["type"] == props[f"{SECTION}.ignore"]["type"] == "array"
    assert props[f"{SECTION}.weights"]["type"] == props[f"{SECTION}.inputs"]["type"] == "object"


# ------------------------------------------------------------------ grammar
def _rules(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


def test_grammar_patterns_compile(grammar):
    patterns = [r[k] for r in _rules(grammar) for k in ("match", "begin", "end") if isinstance(r.get(k), str)]
    assert len(patterns) > 20
    for pattern in patterns:
        re.compile(pattern)  # written in the subset Oniguruma and Python share


def test_grammar_includes_resolve(grammar):
    repository = grammar["repository"]
    for rule in _rules(grammar):
        include = rule.get("include")
        if include and include.startswith("#"):
            assert include[1:] in repository, include


def test_grammar_key_scopes(grammar):
    names = {scope for rule in _rules(grammar) if isinstance(rule.get("name"), str) for scope in rule["name"].split()}
    for scope in (
        "comment.line.number-sign.prototxt",
        "support.type.property-name.prototxt",   # field names
        "entity.name.tag.prototxt",              # message fields (name {)
        "entity.name.type.layer.prototxt",       # layer type strings
        "constant.language.enum.prototxt",
        "constant.language.boolean.prototxt",
        "constant.numeric.integer.prototxt",
        "constant.numeric.float.prototxt",
        "string.quoted.double.prototxt",
        "string.quoted.single.prototxt",
        "constant.character.escape.prototxt",
        "punctuation.section.block.begin.prototxt",
        "punctuation.section.block.end.prototxt",
        "punctuation.section.brackets.begin.prototxt",
    ):
        assert scope in names, scope


def test_grammar_field_and_type_patterns(grammar):
    repo = grammar["repository"]
    field = re.compile(repo["scalar-field"]["match"])
    assert field.match("num_output: 64").group(1) == "num_output"
    layer_type = re.compile(repo["layer-type"]["patterns"][0]["match"])
    assert layer_type.match('type: "Convolution"').group(4) == "Convolution"
    integer = next(p for p in repo["number"]["patterns"] if "integer" in p["name"])
    assert re.fullmatch(integer["match"], "-1")
    assert not re.search(integer["match"], "conv1")


# ------------------------------------------------------------------ language configuration, files
def test_language_configuration():
    config = _json("language-configuration.json")
    assert config["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in config["brackets"] and ["[", "]"] in config["brackets"]
    assert {p["open"] for p in config["autoClosingPairs"]} >= {"{", "[", '"'}
    assert "markers" in config["folding"]
    increase = re.compile(config["indentationRules"]["increaseIndentPattern"])
    assert increase.search("layer {") and not increase.search("param { lr_mult: 1 }")
    assert re.search(config["indentationRules"]["decreaseIndentPattern"], "  }")


def test_repository_files():
    ignored = (EXT / ".gitignore").read_text(encoding="utf-8").split()
    assert {"node_modules/", "out/", "dist/", "*.vsix"} <= set(ignored)
    lock = _json("package-lock.json")
    assert lock["lockfileVersion"] >= 2 and lock["packages"][""]["name"] == "prototxt-ls"
    readme = (EXT / "README.md").read_text(encoding="utf-8")
    for word in ("prototxt-ls.interpreter", "Show Shapes", "npm ci", ".pbtxt"):
        assert word in readme


# ------------------------------------------------------------------ npm: build, unit tests, .vsix
def _npm_run(args: list[str], timeout: int, env: dict | None = None) -> None:
    proc = subprocess.run(args, cwd=EXT, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)
    assert proc.returncode == 0, f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def _node_modules_current() -> bool:
    marker = EXT / "node_modules" / ".package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= (EXT / "package-lock.json").stat().st_mtime


@pytest.mark.slow
def test_npm_build_test_and_package(tmp_path):
    npm = shutil.which("npm")
    npx = shutil.which("npx")
    if npm is None or npx is None:
        pytest.skip("npm is not installed")
    if os.environ.get("SKIP_NPM"):
        pytest.skip("SKIP_NPM is set")
    if not _node_modules_current():
        _npm_run([npm, "ci", "--no-audit", "--no-fund"], timeout=600)
    _npm_run([npm, "run", "build"], timeout=300)
    # The extension's own tests, the end-to-end ones with this interpreter.
    _npm_run([npm, "test"], timeout=300, env={**os.environ, "PROTOTXT_LS_PYTHON": sys.executable})
    vsix = tmp_path / "prototxt-ls.vsix"
    _npm_run([npx, "--no-install", "vsce", "package", "--no-dependencies", "--allow-missing-repository",
              "-o", str(vsix)], timeout=300)
    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as zf:
        names = set(zf.namelist())
        packaged = json.loads(zf.read("extension/package.json"))
        bundle = zf.read("extension/dist/extension.js").decode("utf-8")
    assert {"extension/package.json", "extension/dist/extension.js", "extension/language-configuration.json",
            "extension/syntaxes/prototxt.tmLanguage.json", "extension.vsixmanifest"} <= names
    assert not any(n.startswith(("extension/node_modules/", "extension/src/", "extension/out/")) for n in names)
    assert packaged["name"] == "prototxt-ls" and packaged["main"] == "./dist/extension.js"
    # vscode-languageclient is bundled in, only `vscode` itself stays external.
    assert 'require("vscode-languageclient' not in bundle and "LanguageClient" in bundle
    assert vsix.stat().st_size < 2_000_000
