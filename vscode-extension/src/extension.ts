// Entry point: kept tiny. The logic lives in plain modules (launch.ts,
// settings.ts, pbtxt.ts, cli.ts, proc.ts) tested under node, and in
// server.ts / editor.ts for the parts that need the `vscode` API.

import * as vscode from "vscode";

import { claimCaffePbtxt, registerCommands } from "./editor";
import { ServerController } from "./server";

let server: ServerController | undefined;

export function activate(context: vscode.ExtensionContext): void {
  server = new ServerController();
  context.subscriptions.push(server);
  registerCommands(context, server);
  claimCaffePbtxt(context);
  void server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
