// Run a process to completion, never throwing. Plain module: no `vscode` import.

import { spawn } from "child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to standard input, which is then closed. */
  input?: string;
  /** Killed after this long (errorCode ETIMEDOUT). */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not start (ENOENT, EACCES) or was killed for the timeout. */
  errorCode?: string;
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let errorCode: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) {
        return;
      }
      settled = true;
      if (timer) {
        clearTimeout(timer);
      }
      resolve({ code, signal, stdout, stderr, errorCode });
    };
    let child;
    try {
      child = spawn(command, args, { cwd: options.cwd, env: options.env, windowsHide: true, stdio: "pipe" });
    } catch (err) {
      errorCode = (err as NodeJS.ErrnoException).code ?? "ESPAWN";
      stderr = String((err as Error).message ?? err);
      finish(null, null);
      return;
    }
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (err: NodeJS.ErrnoException) => {
      errorCode = errorCode ?? err.code ?? "ESPAWN";
      if (!stderr) {
        stderr = err.message;
      }
      finish(null, null);
    });
    child.on("close", (code, signal) => finish(code, signal));
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        errorCode = "ETIMEDOUT";
        child.kill();
      }, options.timeoutMs);
    }
    child.stdin.on("error", () => undefined); // the program may exit without reading it
    child.stdin.end(options.input ?? "");
  });
}
