import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { run } from "../src/proc";

// node itself stands in for python.
const node = process.execPath;

describe("run", () => {
  it("returns the exit code and both streams", async () => {
    const r = await run(node, ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "out");
    assert.equal(r.stderr, "err");
    assert.equal(r.errorCode, undefined);
  });
  it("writes the input to standard input", async () => {
    const r = await run(node, ["-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(s.toUpperCase()))"], {
      input: "layers { }\n",
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "LAYERS { }\n");
  });
  it("a missing program is ENOENT, never a throw", async () => {
    const r = await run("/nonexistent/python3", ["-c", "import prototxt_ls"]);
    assert.equal(r.code, null);
    assert.equal(r.errorCode, "ENOENT");
  });
  it("kills a program past the timeout", async () => {
    const r = await run(node, ["-e", "setTimeout(() => {}, 10000)"], { timeoutMs: 200 });
    assert.equal(r.errorCode, "ETIMEDOUT");
  });
  it("passes cwd and env", async () => {
    const r = await run(node, ["-e", "process.stdout.write(process.cwd() + '|' + process.env.PTLS_X)"], {
      cwd: "/",
      env: { ...process.env, PTLS_X: "y" },
    });
    assert.equal(r.stdout, "/|y");
  });
});
