import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { cliEnv, shapesOutcome, upgradeOutcome } from "../src/cli";
import { RunResult } from "../src/proc";

const result = (code: number | null, stdout = "", stderr = "", errorCode?: string): RunResult => ({
  code,
  signal: null,
  stdout,
  stderr,
  errorCode,
});

describe("upgradeOutcome", () => {
  it("an upgraded text becomes an edit", () => {
    assert.deepEqual(upgradeOutcome("layers {}\n", result(0, "layer {}\n")), { kind: "edit", text: "layer {}\n", notes: "" });
  });
  it("the same text is no change", () => {
    assert.deepEqual(upgradeOutcome("layer {}\n", result(0, "layer {}\n")), { kind: "unchanged", notes: "" });
  });
  it("keeps the document's CRLF line endings", () => {
    assert.deepEqual(upgradeOutcome("a\r\nb\r\n", result(0, "a\nb\n")), { kind: "unchanged", notes: "" });
    assert.deepEqual(upgradeOutcome("layers {}\r\n", result(0, "layer {}\n")), { kind: "edit", text: "layer {}\r\n", notes: "" });
    assert.deepEqual(upgradeOutcome("layers {}\n", result(0, "layer {}\r\n")), { kind: "edit", text: "layer {}\n", notes: "" });
  });
  it("notes on standard error travel with the edit", () => {
    const o = upgradeOutcome("x", result(0, "y", "<stdin>:3:5: dropped 'foo'\n"));
    assert.deepEqual(o, { kind: "edit", text: "y", notes: "<stdin>:3:5: dropped 'foo'" });
  });
  it("exit 2 is an error with the reason", () => {
    const o = upgradeOutcome("x", result(2, "", "<stdin>: not upgraded: syntax errors\n"));
    assert.equal(o.kind, "error");
    assert.match(o.kind === "error" ? o.message : "", /not upgraded: syntax errors/);
  });
  it("a program that did not start is an error", () => {
    assert.equal(upgradeOutcome("x", result(null, "", "", "ENOENT")).kind, "error");
  });
});

describe("shapesOutcome", () => {
  it("exit 0: the table", () => {
    assert.deepEqual(shapesOutcome(result(0, "TABLE\n")), { kind: "table", text: "TABLE\n" });
  });
  it("exit 1: the table and the note about errors", () => {
    const o = shapesOutcome(result(1, "TABLE\n", "prototxt-ls: 2 error(s) in a.prototxt\n"));
    assert.deepEqual(o, { kind: "table", text: "TABLE\n\nprototxt-ls: 2 error(s) in a.prototxt\n" });
  });
  it("exit 2: the error", () => {
    const o = shapesOutcome(result(2, "", "prototxt-ls: a.prototxt is not a net\n"));
    assert.deepEqual(o, { kind: "error", message: "prototxt-ls shapes failed: prototxt-ls: a.prototxt is not a net" });
  });
  it("cliEnv asks for a wide table without colour", () => {
    const env = cliEnv({ PATH: "/bin" });
    assert.equal(env.PATH, "/bin");
    assert.equal(env.COLUMNS, "160");
    assert.equal(env.NO_COLOR, "1");
    assert.equal(env.PYTHONIOENCODING, "utf-8");
  });
});
