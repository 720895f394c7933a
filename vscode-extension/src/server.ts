// The language client: which program to start (launch.ts), a check that
// prototxt-ls is installed for it, settings for the server (settings.ts).

import * as os from "os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

import { CLIENT_ID, CLIENT_NAME, LANGUAGE_ID } from "./ids";
import {
  chooseLauncher,
  classifyProbe,
  displayCommand,
  installCommand,
  Launcher,
  ProbeResult,
  probeCommand,
  serveCommand,
  VarContext,
} from "./launch";
import { run, RunResult } from "./proc";
import { pythonExtensionCommand, onPythonInterpreterChange } from "./python";
import { needsRestart, SECTION, serverSettings, ServerSettings } from "./settings";

const PROBE_TIMEOUT_MS = 30_000;
/** Files whose change can change a diagnostic: schemas, models, nets a solver names, pyproject. */
const WATCHED = "**/{*.proto,*.caffemodel,pyproject.toml,*.prototxt,*.pbtxt}";

export class ServerController implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel("prototxt-ls");
  private client: LanguageClient | undefined;
  private launcher: Launcher | undefined;
  private starting: Promise<boolean> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  private followingPython = false;
  /** One watcher for every client this controller starts (restarts reuse it). */
  private readonly watcher = vscode.workspace.createFileSystemWatcher(WATCHED);

  constructor() {
    this.disposables.push(
      this.output,
      this.watcher,
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.start()),
    );
  }

  /** Restart when the Python extension's interpreter changes, while it is the one in use. */
  private followPython(): void {
    if (this.followingPython) {
      return;
    }
    this.followingPython = true;
    void onPythonInterpreterChange(() => {
      if (this.launcher && (this.launcher.source === "python-extension" || this.launcher.source === "default")) {
        this.log("The Python extension selected another interpreter: restarting the server.");
        void this.restart();
      }
    }).then((d) => d && this.disposables.push(d));
  }

  get isRunning(): boolean {
    return this.client?.isRunning() ?? false;
  }

  log(line: string): void {
    this.output.appendLine(line);
  }

  /** The folder a file belongs to (else the first one): the server's and the commands' working folder. */
  folderFor(uri?: vscode.Uri): string | undefined {
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
  }

  vars(uri?: vscode.Uri): VarContext {
    return { workspaceFolder: this.folderFor(uri), home: os.homedir(), env: process.env };
  }

  /** The `prototxt-ls` section the server reads (workspace/configuration). */
  serverSettingsFor(uri?: vscode.Uri): ServerSettings {
    const config = vscode.workspace.getConfiguration(SECTION, uri ?? null);
    return serverSettings((key) => config.get(key), this.vars(uri));
  }

  /** How to run prototxt-ls for this file (settings, then the Python extension, then python3). */
  async launcherFor(uri?: vscode.Uri): Promise<Launcher> {
    const config = vscode.workspace.getConfiguration(SECTION, uri ?? null);
    const interpreter = config.get<string>("interpreter") ?? "";
    const path = config.get<string>("path") ?? "";
    const pythonExtension = path.trim() || interpreter.trim() ? undefined : await pythonExtensionCommand(uri);
    return chooseLauncher({ interpreter, path, pythonExtension, platform: process.platform, vars: this.vars(uri) });
  }

  /** Run the probe for a launcher and say what is wrong (with the fix) when it fails. */
  async probe(launcher: Launcher): Promise<ProbeResult> {
    const probe = probeCommand(launcher);
    const r = await run(probe.command, probe.args, { cwd: this.folderFor(), timeoutMs: PROBE_TIMEOUT_MS });
    return classifyProbe(launcher, r);
  }

  /** Report a launcher problem (from the probe, or a CLI command that could not start). */
  async reportProblem(launcher: Launcher, problem: Exclude<ProbeResult, { ok: true }>): Promise<void> {
    this.log(problem.message);
    if (problem.detail) {
      this.log(problem.detail);
    }
    const actions = problem.problem === "not-installed" ? ["Install", "Open Settings"] : ["Open Settings", "Show Output"];
    const choice = await vscode.window.showErrorMessage(problem.message, ...actions);
    if (choice === "Install") {
      const terminal = vscode.window.createTerminal({ name: "prototxt-ls install", cwd: this.folderFor() });
      terminal.show();
      terminal.sendText(installCommand(launcher));
      void vscode.window.showInformationMessage('When the install has finished, run "prototxt-ls: Restart Server".');
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "prototxt-ls.");
    } else if (choice === "Show Output") {
      this.output.show(true);
    }
  }

  /** A CLI run that could not start at all: explain it the way the probe does. */
  async reportLaunchFailure(launcher: Launcher, r: RunResult): Promise<boolean> {
    if (r.errorCode !== "ENOENT" && r.errorCode !== "EACCES" && !/No module named/.test(r.stderr)) {
      return false;
    }
    const result = classifyProbe(launcher, { code: r.code, errorCode: r.errorCode, stderr: r.stderr });
    if (!result.ok) {
      await this.reportProblem(launcher, result);
    }
    return true;
  }

  start(): Promise<boolean> {
    if (this.client) {
      return Promise.resolve(true);
    }
    if (!this.starting) {
      this.starting = this.doStart().finally(() => (this.starting = undefined));
    }
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose(3000);
      } catch (err) {
        this.log(`Stopping the server: ${String(err)}`);
      }
    }
  }

  async restart(): Promise<boolean> {
    this.log("Restarting the server.");
    await this.stop();
    return this.start();
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  private async doStart(): Promise<boolean> {
    // `python -m` and `-c` put the working folder (the workspace) first on
    // sys.path: an untrusted workspace could shadow the package. The grammar
    // and editing rules work regardless; the server waits for trust.
    if (!vscode.workspace.isTrusted) {
      this.log("This workspace is not trusted: the server starts once you trust it.");
      return false;
    }
    const launcher = await this.launcherFor();
    this.launcher = launcher;
    if (launcher.source === "python-extension" || launcher.source === "default") {
      this.followPython();
    }
    const serve = serveCommand(launcher);
    this.log(`Server: ${displayCommand([serve.command, ...serve.args], launcher.platform)} (from ${launcher.source})`);
    const probe = await this.probe(launcher);
    if (!probe.ok) {
      void this.reportProblem(launcher, probe);
      return false;
    }
    const serverOptions: ServerOptions = {
      command: serve.command,
      args: serve.args,
      options: { cwd: this.folderFor(), env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: LANGUAGE_ID },
        { scheme: "untitled", language: LANGUAGE_ID },
      ],
      outputChannel: this.output,
      synchronize: { fileEvents: this.watcher },
      middleware: {
        workspace: {
          // Answer the server's request for the `prototxt-ls` section with the
          // server's keys only (not the interpreter or path), paths resolved.
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            return params.items.map((item, i) =>
              item.section === SECTION ? this.serverSettingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined) : answer[i],
            );
          },
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.client = undefined;
      this.log(`The server did not start: ${String(err)}`);
      void vscode.window.showErrorMessage(`prototxt-ls: the server did not start (${String(err)}).`, "Show Output").then((c) => {
        if (c) {
          this.output.show(true);
        }
      });
      return false;
    }
    // The server pulls its settings once it is initialized, while the open
    // files may already be checked: push them too, so every file is re-checked
    // under the settings.
    this.pushSettings();
    return true;
  }

  private pushSettings(): void {
    if (this.client?.isRunning()) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: this.serverSettingsFor() },
      });
    }
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration(SECTION)) {
      return;
    }
    if (needsRestart((key) => e.affectsConfiguration(key))) {
      void this.restart();
      return;
    }
    this.pushSettings();
  }
}
