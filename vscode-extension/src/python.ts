// The interpreter the Python extension (ms-python.python) selected, if it is installed.

import * as vscode from "vscode";

/** The parts of the Python extension's API used here (both its current and its older API). */
interface PythonApi {
  ready?: Promise<void>;
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] };
    onDidChangeExecutionDetails?: vscode.Event<unknown>;
  };
}

const PYTHON_EXTENSION = "ms-python.python";
const TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

async function api(): Promise<PythonApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!ext) {
    return undefined;
  }
  const exports = ext.isActive ? ext.exports : await withTimeout(ext.activate(), TIMEOUT_MS);
  if (exports?.ready) {
    await withTimeout(exports.ready, TIMEOUT_MS);
  }
  return exports;
}

/** The selected interpreter's command (`[python]`, or e.g. a `conda run` prefix), or undefined. */
export async function pythonExtensionCommand(resource?: vscode.Uri): Promise<string[] | undefined> {
  try {
    const python = await api();
    const envs = python?.environments;
    const active = envs?.getActiveEnvironmentPath(resource);
    if (envs && active) {
      const resolved = await withTimeout(envs.resolveEnvironment(active), TIMEOUT_MS);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) {
        return [exe];
      }
    }
    const command = python?.settings?.getExecutionDetails(resource)?.execCommand;
    if (command && command.length > 0) {
      return command;
    }
  } catch {
    // No usable Python extension: fall back to the default interpreter.
  }
  return undefined;
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onPythonInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    const python = await api();
    const event = python?.environments?.onDidChangeActiveEnvironmentPath ?? python?.settings?.onDidChangeExecutionDetails;
    return event ? event(() => listener()) : undefined;
  } catch {
    return undefined;
  }
}
