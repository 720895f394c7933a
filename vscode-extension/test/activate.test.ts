// Activates the bundle (dist/extension.js, what the .vsix ships) against a
// fake `vscode` module: the commands get registered, the client checks the
// interpreter and either starts the real server (answering its
// workspace/configuration request with the mapped settings) or shows the
// "not installed" message with its buttons.

import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";

import { COMMANDS } from "../src/ids";
import { chooseLauncher, classifyProbe, probeCommand } from "../src/launch";
import { run } from "../src/proc";
import { fakeVscode, loadWithFake } from "./fake-vscode";
import { ROOT } from "./helpers";

const BUNDLE = path.join(ROOT, "dist", "extension.js");
const EXAMPLES = path.join(ROOT, "..", "examples");
const PYTHON = process.env.PROTOTXT_LS_PYTHON || chooseLauncher({ platform: process.platform }).python![0];

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pythonHasPackage(): Promise<string | false> {
  const launcher = chooseLauncher({ interpreter: PYTHON, platform: process.platform });
  const probe = probeCommand(launcher);
  const r = classifyProbe(launcher, await run(probe.command, probe.args, { timeoutMs: 60_000 }));
  return r.ok ? false : r.message;
}

describe("activating the bundle", { skip: !fs.existsSync(BUNDLE) && "no dist/extension.js: run npm run build" }, () => {
  it("starts the server and answers workspace/configuration with the mapped settings", async (t) => {
    const skip = await pythonHasPackage();
    if (skip) {
      t.skip(skip);
      return;
    }
    const { vscode, state } = fakeVscode({
      folder: EXAMPLES,
      settings: { interpreter: PYTHON, "trace.server": "verbose", select: ["F101"], inputs: { data: "1,3,8,8" } },
    });
    const ext = loadWithFake(BUNDLE, vscode);
    const context = { subscriptions: [] as { dispose(): unknown }[] };
    ext.activate(context);
    assert.deepEqual([...state.commands].sort(), Object.values(COMMANDS).sort());
    const text = () => state.output.join("\n");
    await until("the answer to workspace/configuration", () => /Sending response 'workspace\/configuration[^]*Result:/.test(text()));
    assert.match(text(), new RegExp(`Server: .*-m prototxt_ls serve \\(from interpreter\\)`));
    const answer = text().split(/Sending response 'workspace\/configuration/)[1];
    assert.match(answer, /"select": \[\s*"F101"\s*\]/);
    assert.match(answer, /"data": \[\s*1,\s*3,\s*8,\s*8\s*\]/);
    assert.doesNotMatch(answer.split("[Trace")[0], /interpreter/);
    assert.deepEqual(state.errors, []);
    // Restart Server: the old process shuts down, a new one is initialized.
    const initializes = () => text().match(/Received response 'initialize/g)?.length ?? 0;
    assert.equal(initializes(), 1);
    assert.equal(await state.handlers.get(COMMANDS.restartServer)!(), true);
    assert.equal(initializes(), 2);
    assert.match(text(), /Restarting the server\.[^]*Sending notification 'exit'[^]*Sending request 'initialize/);
    await ext.deactivate();
    assert.match(text(), /Sending notification 'exit'/);
    context.subscriptions.forEach((d) => d.dispose());
  });

  it("without the package: the message with the fix, from the Python extension's interpreter", async (t) => {
    const skip = await pythonHasPackage();
    if (skip) {
      t.skip(skip);
      return;
    }
    // -I -S: that interpreter cannot see the installed package.
    const { vscode, state } = fakeVscode({ folder: "/", settings: {}, pythonExtension: [PYTHON, "-I", "-S"] });
    const ext = loadWithFake(BUNDLE, vscode);
    ext.activate({ subscriptions: [] });
    await until("the error message", () => state.errors.length > 0);
    const python = `${PYTHON} -I -S`;
    assert.deepEqual(state.errors, [
      {
        message: `prototxt-ls is not installed for ${python}: run \`${python} -m pip install prototxt-ls\``,
        buttons: ["Install", "Open Settings"],
      },
    ]);
    assert.ok(state.output.some((l) => l.includes("(from python-extension)")));
    await ext.deactivate();
  });

  it("a missing prototxt-ls.path names the setting", async () => {
    const { vscode, state } = fakeVscode({ folder: "/", settings: { path: "/nonexistent/prototxt-ls" } });
    const ext = loadWithFake(BUNDLE, vscode);
    ext.activate({ subscriptions: [] });
    await until("the error message", () => state.errors.length > 0);
    assert.match(state.errors[0].message, /prototxt-ls executable \/nonexistent\/prototxt-ls was not found.*prototxt-ls\.path/);
    assert.deepEqual(state.errors[0].buttons, ["Open Settings", "Show Output"]);
    await ext.deactivate();
  });
});
