"""A real editor: headless Neovim (Debian's 0.7.2 or newer) driving ``python -m prototxt_ls serve``.

A Lua driver (written into tmp_path) opens a net with a typo, waits for the
diagnostics, asks for hover, completion and definition, applies the typo's
quick fix and then the formatter's edit with Neovim's own functions, and
writes everything to a JSON file this test reads.  Hover, completion and
definition are asserted on only when the server advertises them.

Skipped when ``nvim`` is not installed (CI installs Debian's ``neovim``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prototxt_ls.format.formatter import format_text

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (apt-get install neovim)")

NET = '''layer {
  name: "data"
  type: "Input"
  top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }
}
layer {
  name: "conv"
  type: "Convolution"
  bottom: "data"
  top: "conv"
  convolution_param { num_output: 4 kernel_size: 3 }
}
layer {
  name: "r"
  type: "ReLU"
  bottom: "conv"
  top: "conv"
  relu_param { negative_slop: 0.1 }
}
layer{name:"s" type:"Sigmoid" bottom:"conv" top:"s"}
'''


def _where(text: str, needle: str, nth: int = 0, plus: int = 0) -> tuple[int, int]:
    """(line, character) of the nth ``needle`` (ASCII text, so characters are UTF-16 units)."""
    hits = [(i, ln.index(needle)) for i, ln in enumerate(text.splitlines()) if needle in ln]
    line, col = hits[nth]
    return line, col + plus


TYPO = _where(NET, "negative_slop")
HOVER = _where(NET, "kernel_size", plus=2)
COMPLETION = _where(NET, "negative_slop", plus=3)
DEFINITION = _where(NET, '"data"', nth=2, plus=2)  # the conv layer's `bottom: "data"`
DATA_TOP = _where(NET, 'top: "data"')

DRIVER = r'''
local out = {steps = {}}
local function step(name) table.insert(out.steps, name) end
local function env(name) return os.getenv(name) end

local function write()
  local f = assert(io.open(env("PTLS_OUT"), "w"))
  f:write(vim.json.encode(out))
  f:close()
end

local function at(line, character)
  return {line = line, character = character}
end

local function request(bufnr, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, 8000)
  if not responses then return {error = tostring(err)} end
  for _, r in pairs(responses) do
    if r.err then return {error = vim.inspect(r.err)} end
    return {result = r.result == nil and vim.NIL or r.result}
  end
  return {error = "no response"}
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

local function main()
  local file = env("PTLS_FILE")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "prototxt"
  local uri = vim.uri_from_bufnr(bufnr)
  out.version = vim.version()

  local client_id = vim.lsp.start_client({
    name = "prototxt-ls",
    cmd = {env("PTLS_PYTHON"), "-m", "prototxt_ls", "serve"},
    root_dir = env("PTLS_ROOT"),
    settings = {["prototxt-ls"] = {inlayShapes = true}},
  })
  assert(client_id, "vim.lsp.start_client failed")
  vim.lsp.buf_attach_client(bufnr, client_id)
  step("started")

  local got = vim.wait(15000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
  assert(got, "no diagnostics within 15 s")
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp_d = (d.user_data or {}).lsp or {}
    table.insert(out.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, message = d.message,
      severity = d.severity, source = d.source, code = d.code or lsp_d.code})
  end
  step("diagnostics")

  local client = vim.lsp.get_client_by_id(client_id)
  local caps = client.server_capabilities or {}
  out.capabilities = {
    hover = caps.hoverProvider and true or false,
    completion = caps.completionProvider and true or false,
    definition = caps.definitionProvider and true or false,
    formatting = caps.documentFormattingProvider and true or false,
    code_action = caps.codeActionProvider and true or false,
  }

  local td = {uri = uri}
  local P = vim.json.decode(env("PTLS_POSITIONS"))
  out.hover = request(bufnr, "textDocument/hover", {textDocument = td, position = at(P.hover[1], P.hover[2])})
  step("hover")
  out.completion = request(bufnr, "textDocument/completion", {
    textDocument = td, position = at(P.completion[1], P.completion[2]), context = {triggerKind = 1}})
  step("completion")
  out.definition = request(bufnr, "textDocument/definition", {
    textDocument = td, position = at(P.definition[1], P.definition[2])})
  step("definition")

  -- the typo's quick fix, applied by Neovim itself
  -- the context as vim.lsp.buf.code_action() builds it: the line's diagnostics in LSP form
  local context_diags
  if vim.lsp.diagnostic.get_line_diagnostics then
    context_diags = vim.lsp.diagnostic.get_line_diagnostics(bufnr, P.typo[1])
  else
    context_diags = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr, {lnum = P.typo[1]})) do
      local lsp_d = (d.user_data or {}).lsp or {}
      table.insert(context_diags, {
        range = {start = at(d.lnum, d.col), ["end"] = at(d.end_lnum, d.end_col)},
        message = d.message, severity = d.severity, source = d.source, code = d.code or lsp_d.code})
    end
  end
  out.context_diagnostics = context_diags
  local actions = request(bufnr, "textDocument/codeAction", {
    textDocument = td,
    range = {start = at(P.typo[1], P.typo[2]), ["end"] = at(P.typo[1], P.typo[2])},
    context = {diagnostics = context_diags, only = {"quickfix"}},
  })
  out.code_actions = actions
  assert(actions.result and actions.result[1], "no code action: " .. vim.inspect(actions))
  vim.lsp.util.apply_workspace_edit(actions.result[1].edit, "utf-16")
  step("code action applied")
  -- the server saw the change once the typo's diagnostic is gone
  out.fixed_clean = vim.wait(10000, function() return #vim.diagnostic.get(bufnr) == 0 end, 50)
  out.after_fix = buffer_text(bufnr)

  local fmt = request(bufnr, "textDocument/formatting", {
    textDocument = td, options = {tabSize = 2, insertSpaces = true}})
  out.formatting = fmt
  assert(fmt.result and fmt.result ~= vim.NIL, "no formatting edits: " .. vim.inspect(fmt))
  vim.lsp.util.apply_text_edits(fmt.result, bufnr, "utf-16")
  out.after_format = buffer_text(bufnr)
  step("formatted")

  vim.lsp.stop_client(client_id)
  vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end

local ok, err = pcall(main)
if not ok then out.error = tostring(err) end
write()
vim.cmd(ok and "qall!" or "cquit 1")
'''


def test_neovim_end_to_end(tmp_path: Path):
    net = tmp_path / "net.prototxt"
    net.write_text(NET)
    driver = tmp_path / "drive.lua"
    driver.write_text(DRIVER)
    out = tmp_path / "answers.json"
    positions = {"typo": TYPO, "hover": HOVER, "completion": COMPLETION, "definition": DEFINITION}
    env = {**os.environ, "PTLS_FILE": str(net), "PTLS_OUT": str(out), "PTLS_PYTHON": sys.executable,
           "PTLS_ROOT": str(tmp_path), "PTLS_POSITIONS": json.dumps(positions),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
           "XDG_STATE_HOME": str(tmp_path / "xdg-state"), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    proc = subprocess.run([NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {driver}"],
                          check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.is_file(), f"the driver wrote nothing (rc {proc.returncode}): {proc.stdout}\n{proc.stderr}"
    got = json.loads(out.read_text())
    assert "error" not in got, f"{got.get('error')} after steps {got.get('steps')}\n{proc.stderr}"
    assert proc.returncode == 0, proc.stderr

    # diagnostics: the typo, at its place (Neovim counts bytes; this line is ASCII)
    (d,) = got["diagnostics"]
    assert d["code"] == "F101" and d["source"] == "prototxt-ls" and d["severity"] == 1  # ERROR
    assert (d["lnum"], d["col"], d["end_col"]) == (TYPO[0], TYPO[1], TYPO[1] + len("negative_slop"))
    assert "negative_slope" in d["message"]

    caps = got["capabilities"]
    assert caps["formatting"] and caps["code_action"]

    # hover / completion / definition: whatever came back, checked when the server offers it
    if caps["hover"]:
        hover = got["hover"].get("result")
        assert isinstance(hover, dict), got["hover"]
        contents = hover["contents"]
        text = contents.get("value", "") if isinstance(contents, dict) else json.dumps(contents)
        assert "kernel_size" in text, text
    if caps["completion"]:
        result = got["completion"].get("result")
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        labels = [i["label"] for i in items]
        assert "negative_slope" in labels, labels
    if caps["definition"]:
        result = got["definition"].get("result")
        locations = [result] if isinstance(result, dict) else (result or [])
        assert locations, got["definition"]
        loc = locations[0]
        rng = loc.get("targetSelectionRange") or loc.get("range")
        assert rng["start"]["line"] == DATA_TOP[0], loc

    # the quick fix and the formatter, applied by Neovim
    (action,) = got["code_actions"]["result"]
    assert action["title"] == "Rename to 'negative_slope'" and action["kind"] == "quickfix"
    assert [x["code"] for x in action["diagnostics"]] == ["F101"]
    fixed = NET.replace("negative_slop:", "negative_slope:")
    assert got["after_fix"] == fixed
    assert got["fixed_clean"] is True
    assert got["after_format"] == format_text(fixed) != fixed
