// End to end against the real server and CLI, through the same launcher,
// argument and settings code the extension uses. Skipped when the Python
// (PROTOTXT_LS_PYTHON, else the default choice) does not have prototxt-ls.

import assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { after, before, describe, it } from "node:test";

import { cliEnv, shapesOutcome, upgradeOutcome } from "../src/cli";
import { chooseLauncher, classifyProbe, commandFor, probeCommand, serveCommand } from "../src/launch";
import { run } from "../src/proc";
import { serverSettings, shapesArgs, upgradeArgs } from "../src/settings";
import { ROOT } from "./helpers";

const EXAMPLES = path.join(ROOT, "..", "examples");
const launcher = chooseLauncher({ interpreter: process.env.PROTOTXT_LS_PYTHON, platform: process.platform });

let skip: string | false = "not probed";

before(async () => {
  if (!fs.existsSync(EXAMPLES)) {
    skip = "no examples/ folder";
    return;
  }
  const probe = probeCommand(launcher);
  const r = classifyProbe(launcher, await run(probe.command, probe.args, { timeoutMs: 60_000 }));
  skip = r.ok ? false : r.message;
});

/** A minimal LSP client over stdio: Content-Length framing, requests both ways. */
class Lsp {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private pending = new Map<number, (msg: any) => void>();
  private waiters: { match: (msg: any) => boolean; resolve: (msg: any) => void }[] = [];
  private backlog: any[] = [];
  readonly proc: ChildProcessWithoutNullStreams;

  constructor(command: string, args: string[], cwd: string) {
    this.proc = spawn(command, args, { cwd, stdio: "pipe" });
    this.proc.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    this.proc.stderr.on("data", () => undefined);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) {
        return;
      }
      const msg = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString("utf8"));
      this.buffer = this.buffer.subarray(end + 4 + length);
      if (msg.id !== undefined && msg.method === undefined && this.pending.has(msg.id)) {
        this.pending.get(msg.id)!(msg);
        this.pending.delete(msg.id);
        continue;
      }
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) {
        this.waiters.splice(i, 1)[0].resolve(msg);
      } else {
        this.backlog.push(msg);
      }
    }
  }

  send(msg: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...msg }), "utf8");
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** The next message from the server that `match` accepts (10 s at most). */
  next(match: (msg: any) => boolean, what: string): Promise<any> {
    const i = this.backlog.findIndex(match);
    if (i >= 0) {
      return Promise.resolve(this.backlog.splice(i, 1)[0]);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      this.waiters.push({
        match,
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
      });
    });
  }
}

describe("against the installed prototxt-ls", () => {
  let lsp: Lsp | undefined;
  after(() => lsp?.proc.kill());

  it("serves diagnostics under the settings the client maps", async (t) => {
    if (skip) {
      t.skip(skip);
      return;
    }
    const serve = serveCommand(launcher);
    lsp = new Lsp(serve.command, serve.args, EXAMPLES);
    const rootUri = `file://${EXAMPLES}`;
    const init = await lsp.request("initialize", {
      processId: process.pid,
      rootUri,
      capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } } },
    });
    assert.equal(init.result.serverInfo.name, "prototxt-ls");
    const actionKinds = init.result.capabilities.codeActionProvider?.codeActionKinds ?? [];
    assert.ok(actionKinds.includes("source.upgrade"), JSON.stringify(actionKinds));
    lsp.notify("initialized", {});

    // The server asks for the `prototxt-ls` section; answer as the middleware does.
    const config = await lsp.next((m) => m.method === "workspace/configuration", "workspace/configuration");
    assert.equal(config.params.items[0].section, "prototxt-ls");
    const settings = serverSettings((key) => ({ select: ["F101"], inlayShapes: false, interpreter: "ignored" } as any)[key]);
    lsp.send({ id: config.id, result: [settings] });

    const file = path.join(EXAMPLES, "field_mistakes.prototxt");
    const uri = `file://${file}`;
    const text = fs.readFileSync(file, "utf8");
    // As the client does after start: push the settings (the server re-checks open files).
    lsp.notify("workspace/didChangeConfiguration", { settings: { "prototxt-ls": settings } });
    lsp.notify("textDocument/didOpen", { textDocument: { uri, languageId: "prototxt", version: 1, text } });
    const first = await lsp.next((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri, "diagnostics");
    const codes = new Set(first.params.diagnostics.map((d: { code: string }) => d.code));
    assert.deepEqual([...codes], ["F101"]);

    const hints = await lsp.request("textDocument/inlayHint", {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } },
    });
    assert.deepEqual(hints.result ?? [], []);

    // Settings cleared: every rule again.
    lsp.notify("workspace/didChangeConfiguration", { settings: { "prototxt-ls": serverSettings(() => undefined) } });
    const second = await lsp.next(
      (m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.diagnostics.length > first.params.diagnostics.length,
      "diagnostics with every rule",
    );
    assert.ok(second.params.diagnostics.some((d: { code: string }) => d.code === "F103"));

    await lsp.request("shutdown", null);
    lsp.notify("exit", null);
  });

  it("a Python without the package gets the install message", async (t) => {
    if (skip || !launcher.python) {
      t.skip(skip || "prototxt-ls.path is an executable");
      return;
    }
    // -I -S: no site-packages, so the installed package is out of reach.
    const bare = chooseLauncher({ pythonExtension: [...launcher.python, "-I", "-S"], platform: process.platform });
    const probe = probeCommand(bare);
    const r = classifyProbe(bare, await run(probe.command, probe.args, { cwd: "/", timeoutMs: 60_000 }));
    assert.ok(!r.ok);
    assert.equal(r.problem, "not-installed");
    const python = [...launcher.python, "-I", "-S"].join(" ");
    assert.equal(r.message, `prototxt-ls is not installed for ${python}: run \`${python} -m pip install prototxt-ls\``);
  });

  it("Show Shapes: prototxt-ls shapes gives a table", async (t) => {
    if (skip) {
      t.skip(skip);
      return;
    }
    const cmd = commandFor(launcher, shapesArgs("lenet_v2.prototxt", serverSettings(() => undefined)));
    const outcome = shapesOutcome(await run(cmd.command, cmd.args, { cwd: EXAMPLES, env: cliEnv(process.env), timeoutMs: 60_000 }));
    assert.equal(outcome.kind, "table");
    assert.match(outcome.kind === "table" ? outcome.text : "", /conv1 64x20x24x24/);
  });

  it("Show Shapes: the inputs setting reaches the CLI", async (t) => {
    if (skip) {
      t.skip(skip);
      return;
    }
    const settings = serverSettings((key) => (key === "inputs" ? { data: [2, 1, 28, 28] } : undefined));
    const cmd = commandFor(launcher, shapesArgs("lenet_v2.prototxt", settings));
    const outcome = shapesOutcome(await run(cmd.command, cmd.args, { cwd: EXAMPLES, env: cliEnv(process.env), timeoutMs: 60_000 }));
    assert.match(outcome.kind === "table" ? outcome.text : "", /conv1 2x20x24x24/);
  });

  it("Upgrade File: prototxt-ls upgrade - on a V1 net", async (t) => {
    if (skip) {
      t.skip(skip);
      return;
    }
    const original = fs.readFileSync(path.join(EXAMPLES, "tiny_v1_legacy.prototxt"), "utf8");
    const cmd = commandFor(launcher, upgradeArgs());
    const outcome = upgradeOutcome(original, await run(cmd.command, cmd.args, { input: original, env: cliEnv(process.env), timeoutMs: 60_000 }));
    assert.equal(outcome.kind, "edit");
    const upgraded = outcome.kind === "edit" ? outcome.text : "";
    assert.doesNotMatch(upgraded, /^layers \{/m);
    assert.match(upgraded, /^layer \{/m);
    const again = upgradeOutcome(upgraded, await run(cmd.command, cmd.args, { input: upgraded, env: cliEnv(process.env), timeoutMs: 60_000 }));
    assert.equal(again.kind, "unchanged");
    const broken = upgradeOutcome("layers { name: ", await run(cmd.command, cmd.args, { input: "layers { name: ", timeoutMs: 60_000 }));
    assert.equal(broken.kind, "error");
  });
});
