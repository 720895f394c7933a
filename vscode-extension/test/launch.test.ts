import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  chooseLauncher,
  classifyProbe,
  commandFor,
  defaultPython,
  displayLauncher,
  expandVars,
  installCommand,
  probeCommand,
  quote,
  resolveProgram,
  serveCommand,
} from "../src/launch";

const vars = { workspaceFolder: "/ws", home: "/home/u", env: { VENV: "/opt/venv" } };

describe("chooseLauncher: precedence", () => {
  it("prototxt-ls.path wins over everything", () => {
    const l = chooseLauncher({ path: "/bin/prototxt-ls", interpreter: "/usr/bin/python3.12", pythonExtension: ["/x/python"] });
    assert.equal(l.source, "path");
    assert.equal(l.executable, "/bin/prototxt-ls");
    assert.equal(l.python, undefined);
  });
  it("then prototxt-ls.interpreter", () => {
    const l = chooseLauncher({ interpreter: "/usr/bin/python3.12", pythonExtension: ["/x/python"] });
    assert.equal(l.source, "interpreter");
    assert.deepEqual(l.python, ["/usr/bin/python3.12"]);
  });
  it("then the Python extension's interpreter (a command prefix is kept)", () => {
    const l = chooseLauncher({ interpreter: "  ", path: "", pythonExtension: ["conda", "run", "-n", "caffe", "python"] });
    assert.equal(l.source, "python-extension");
    assert.deepEqual(serveCommand(l), { command: "conda", args: ["run", "-n", "caffe", "python", "-m", "prototxt_ls", "serve"] });
  });
  it("then python3 (python on Windows)", () => {
    assert.deepEqual(chooseLauncher({ pythonExtension: [] }).python, ["python3"]);
    assert.deepEqual(chooseLauncher({ platform: "win32" }).python, ["python"]);
    assert.equal(chooseLauncher({}).source, "default");
    assert.equal(defaultPython("darwin"), "python3");
  });
});

describe("variables and relative paths", () => {
  it("expands ${workspaceFolder}, ${userHome}, ${env:X} and ~", () => {
    assert.equal(expandVars("${workspaceFolder}/.venv/bin/python", vars), "/ws/.venv/bin/python");
    assert.equal(expandVars("${userHome}/py", vars), "/home/u/py");
    assert.equal(expandVars("${env:VENV}/bin/python", vars), "/opt/venv/bin/python");
    assert.equal(expandVars("${env:MISSING}x", vars), "x");
    assert.equal(expandVars("~/venv/bin/python", vars), "/home/u/venv/bin/python");
    assert.equal(expandVars("${workspaceFolder}/p", {}), "${workspaceFolder}/p");
  });
  it("takes a relative path from the workspace folder, leaves a bare name to PATH", () => {
    assert.equal(resolveProgram(".venv/bin/python", vars), "/ws/.venv/bin/python");
    assert.equal(resolveProgram("./venv/bin/python", vars), "/ws/venv/bin/python");
    assert.equal(resolveProgram("python3.11", vars), "python3.11");
    assert.equal(resolveProgram("/usr/bin/python3", vars), "/usr/bin/python3");
    assert.equal(resolveProgram(".venv\\Scripts\\python.exe", { workspaceFolder: "C:\\ws" }, "win32"), "C:\\ws\\.venv\\Scripts\\python.exe");
    assert.equal(resolveProgram("C:\\py\\python.exe", { workspaceFolder: "C:\\ws" }, "win32"), "C:\\py\\python.exe");
  });
  it("applies them to both settings", () => {
    assert.equal(chooseLauncher({ path: "${workspaceFolder}/bin/prototxt-ls", vars }).executable, "/ws/bin/prototxt-ls");
    assert.deepEqual(chooseLauncher({ interpreter: ".venv/bin/python", vars }).python, ["/ws/.venv/bin/python"]);
  });
});

describe("argument building", () => {
  it("python -m prototxt_ls serve", () => {
    const l = chooseLauncher({ interpreter: "/usr/bin/python3" });
    assert.deepEqual(serveCommand(l), { command: "/usr/bin/python3", args: ["-m", "prototxt_ls", "serve"] });
    assert.deepEqual(commandFor(l, ["shapes", "net.prototxt"]), {
      command: "/usr/bin/python3",
      args: ["-m", "prototxt_ls", "shapes", "net.prototxt"],
    });
  });
  it("prototxt-ls serve for an executable", () => {
    const l = chooseLauncher({ path: "/opt/bin/prototxt-ls" });
    assert.deepEqual(serveCommand(l), { command: "/opt/bin/prototxt-ls", args: ["serve"] });
    assert.deepEqual(commandFor(l, ["upgrade", "-"]), { command: "/opt/bin/prototxt-ls", args: ["upgrade", "-"] });
  });
  it("the probe imports the package, or asks the executable its version", () => {
    assert.deepEqual(probeCommand(chooseLauncher({ interpreter: "py" })), { command: "py", args: ["-c", "import prototxt_ls"] });
    assert.deepEqual(probeCommand(chooseLauncher({ pythonExtension: ["conda", "run", "python"] })), {
      command: "conda",
      args: ["run", "python", "-c", "import prototxt_ls"],
    });
    assert.deepEqual(probeCommand(chooseLauncher({ path: "/b/prototxt-ls" })), { command: "/b/prototxt-ls", args: ["--version"] });
  });
  it("quotes what the user may copy", () => {
    assert.equal(quote("/usr/bin/python3"), "/usr/bin/python3");
    assert.equal(quote("/my env/python"), "'/my env/python'");
    assert.equal(quote("it's"), `'it'"'"'s'`);
    assert.equal(quote("C:\\Program Files\\Python\\python.exe", "win32"), '"C:\\Program Files\\Python\\python.exe"');
    assert.equal(installCommand(chooseLauncher({ interpreter: "/my env/python" })), "'/my env/python' -m pip install prototxt-ls");
    assert.equal(displayLauncher(chooseLauncher({ pythonExtension: ["conda", "run", "python"] })), "conda run python");
  });
});

describe("classifyProbe: the message with the fix", () => {
  const python = chooseLauncher({ interpreter: "/usr/bin/python3" });
  const exe = chooseLauncher({ path: "/b/prototxt-ls" });
  it("ok on exit 0", () => {
    assert.deepEqual(classifyProbe(python, { code: 0, stderr: "" }), { ok: true });
  });
  it("package missing: says how to install it", () => {
    const r = classifyProbe(python, {
      code: 1,
      stderr: "Traceback (most recent call last):\n  File \"<string>\", line 1\nModuleNotFoundError: No module named 'prototxt_ls'\n",
    });
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.problem, "not-installed");
    assert.equal(r.message, "prototxt-ls is not installed for /usr/bin/python3: run `/usr/bin/python3 -m pip install prototxt-ls`");
  });
  it("interpreter missing: points at the setting", () => {
    const r = classifyProbe(python, { code: null, errorCode: "ENOENT", stderr: "spawn /usr/bin/python3 ENOENT" });
    assert.ok(!r.ok);
    assert.equal(r.problem, "not-found");
    assert.match(r.message, /Python interpreter \/usr\/bin\/python3 was not found/);
    assert.match(r.message, /prototxt-ls\.interpreter/);
  });
  it("executable missing: points at prototxt-ls.path", () => {
    const r = classifyProbe(exe, { code: null, errorCode: "ENOENT", stderr: "" });
    assert.ok(!r.ok);
    assert.equal(r.problem, "not-found");
    assert.match(r.message, /prototxt-ls\.path/);
  });
  it("a broken install: the last line of the error and a reinstall", () => {
    const r = classifyProbe(python, { code: 1, stderr: "Traceback...\nImportError: cannot import name 'x' from 'lark'\n" });
    assert.ok(!r.ok);
    assert.equal(r.problem, "failed");
    assert.match(r.message, /ImportError: cannot import name 'x' from 'lark'/);
    assert.match(r.message, /pip install prototxt-ls --upgrade/);
  });
  it("a timeout", () => {
    const r = classifyProbe(python, { code: null, errorCode: "ETIMEDOUT", stderr: "" });
    assert.ok(!r.ok);
    assert.equal(r.problem, "timeout");
  });
});
