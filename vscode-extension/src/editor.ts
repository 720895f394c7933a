// The commands, the read-only shapes documents and the `.pbtxt` content check.

import * as path from "path";
import * as vscode from "vscode";

import { cliEnv, shapesOutcome, upgradeOutcome } from "./cli";
import { COMMANDS, LANGUAGE_ID, SHAPES_SCHEME, UPGRADE_KIND } from "./ids";
import { commandFor } from "./launch";
import { shouldClaim } from "./pbtxt";
import { run } from "./proc";
import { ServerController } from "./server";
import { shapesArgs, upgradeArgs } from "./settings";

const CLI_TIMEOUT_MS = 120_000;

/** Read-only documents holding `prototxt-ls shapes` tables, one per net. */
export class ShapesDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? 'Run "prototxt-ls: Show Shapes" on the net again.\n';
  }

  set(source: vscode.Uri, text: string): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: SHAPES_SCHEME,
      path: `/${path.basename(source.fsPath)} (shapes)`,
      query: source.toString(),
    });
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }
}

async function targetDocument(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  if (!vscode.workspace.isTrusted) {
    // prototxt-ls runs Python in the workspace folder (see server.ts).
    void vscode.window.showWarningMessage("prototxt-ls: trust this workspace first; prototxt-ls runs Python in it.");
    return undefined;
  }
  if (uri instanceof vscode.Uri) {
    return vscode.workspace.openTextDocument(uri);
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.languageId === LANGUAGE_ID) {
    return doc;
  }
  void vscode.window.showWarningMessage("prototxt-ls: open a Caffe .prototxt file first.");
  return undefined;
}

function wholeRange(doc: vscode.TextDocument): vscode.Range {
  return new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
}

/** The server's `source.upgrade` code action, when the server runs and offers it. */
async function serverUpgrade(server: ServerController, doc: vscode.TextDocument): Promise<boolean> {
  if (!server.isRunning) {
    return false;
  }
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
    "vscode.executeCodeActionProvider",
    doc.uri,
    wholeRange(doc),
    UPGRADE_KIND,
  );
  const action = (actions ?? []).find(
    (a): a is vscode.CodeAction => "kind" in a && a.kind !== undefined && (a.kind.value === UPGRADE_KIND || a.kind.value.startsWith(`${UPGRADE_KIND}.`)),
  );
  if (!action) {
    return false;
  }
  if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) {
    return false;
  }
  if (action.command) {
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  }
  void vscode.window.showInformationMessage(`prototxt-ls: upgraded ${path.basename(doc.fileName)} to the current format.`);
  return true;
}

/** Upgrade File: the server's code action, else `prototxt-ls upgrade -` on the text (one undoable edit). */
async function upgradeFile(server: ServerController, uri?: vscode.Uri): Promise<void> {
  const doc = await targetDocument(uri);
  if (!doc || (await serverUpgrade(server, doc))) {
    return;
  }
  const launcher = await server.launcherFor(doc.uri);
  const cmd = commandFor(launcher, upgradeArgs());
  const original = doc.getText();
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "prototxt-ls: upgrading" },
    () => run(cmd.command, cmd.args, { cwd: server.folderFor(doc.uri), env: cliEnv(process.env), input: original, timeoutMs: CLI_TIMEOUT_MS }),
  );
  if (await server.reportLaunchFailure(launcher, r)) {
    return;
  }
  const outcome = upgradeOutcome(original, r);
  const name = path.basename(doc.fileName);
  if (outcome.kind === "error") {
    server.log(outcome.message);
    void vscode.window.showErrorMessage(`prototxt-ls: ${name} was not upgraded: ${outcome.message}`);
    return;
  }
  if (outcome.notes) {
    server.log(`Upgrading ${name}:\n${outcome.notes}`);
  }
  if (outcome.kind === "unchanged") {
    void vscode.window.showInformationMessage(`prototxt-ls: ${name} is already in the current format.`);
    return;
  }
  if (doc.getText() !== original) {
    void vscode.window.showWarningMessage(`prototxt-ls: ${name} changed while upgrading; run Upgrade File again.`);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, wholeRange(doc), outcome.text);
  await vscode.workspace.applyEdit(edit);
  const note = outcome.notes ? " Some parts need a look: see the output." : "";
  void vscode.window.showInformationMessage(`prototxt-ls: upgraded ${name} to the current format.${note}`);
}

/** Show Shapes: `prototxt-ls shapes FILE` (the saved file), its table in a read-only document beside it. */
async function showShapes(server: ServerController, shapes: ShapesDocuments, uri?: vscode.Uri, phase?: string): Promise<void> {
  const doc = await targetDocument(uri);
  if (!doc) {
    return;
  }
  if (doc.isUntitled || doc.uri.scheme !== "file") {
    void vscode.window.showWarningMessage("prototxt-ls: save the net to a file first (Show Shapes reads it from disk).");
    return;
  }
  if (doc.isDirty && !(await doc.save())) {
    return;
  }
  const launcher = await server.launcherFor(doc.uri);
  const cwd = server.folderFor(doc.uri) ?? path.dirname(doc.uri.fsPath);
  const relative = path.relative(cwd, doc.uri.fsPath);
  const file = relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : doc.uri.fsPath;
  const cmd = commandFor(launcher, shapesArgs(file, server.serverSettingsFor(doc.uri), typeof phase === "string" ? phase : undefined));
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "prototxt-ls: computing shapes" },
    () => run(cmd.command, cmd.args, { cwd, env: cliEnv(process.env), timeoutMs: CLI_TIMEOUT_MS }),
  );
  if (await server.reportLaunchFailure(launcher, r)) {
    return;
  }
  const outcome = shapesOutcome(r);
  if (outcome.kind === "error") {
    server.log(outcome.message);
    void vscode.window.showErrorMessage(outcome.message);
    return;
  }
  const shown = await vscode.workspace.openTextDocument(shapes.set(doc.uri, outcome.text));
  await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

export function registerCommands(context: vscode.ExtensionContext, server: ServerController): void {
  const shapes = new ShapesDocuments();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SHAPES_SCHEME, shapes),
    vscode.commands.registerCommand(COMMANDS.restartServer, () => server.restart()),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => server.output.show(true)),
    vscode.commands.registerCommand(COMMANDS.upgradeFile, (uri?: vscode.Uri) => upgradeFile(server, uri)),
    vscode.commands.registerCommand(COMMANDS.showShapes, (uri?: vscode.Uri, phase?: string) => showShapes(server, shapes, uri, phase)),
  );
}

/** Give `prototxt` to `.pbtxt` documents whose header names Caffe (see pbtxt.ts). */
export function claimCaffePbtxt(context: vscode.ExtensionContext): void {
  const check = (doc: vscode.TextDocument) => {
    if (shouldClaim(doc.fileName, doc.languageId, doc.getText(new vscode.Range(0, 0, 50, 0)))) {
      void vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    }
  };
  vscode.workspace.textDocuments.forEach(check);
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(check));
}
