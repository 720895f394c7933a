// What the CLI commands' results mean for the editor. Plain module: no `vscode` import.

import { RunResult } from "./proc";

export type UpgradeOutcome =
  | { kind: "edit"; text: string; notes: string }
  | { kind: "unchanged"; notes: string }
  | { kind: "error"; message: string };

function describeFailure(what: string, r: RunResult): string {
  const detail = r.stderr.trim() || (r.errorCode ? r.errorCode : `exit code ${r.code}`);
  return `${what} failed: ${detail}`;
}

/**
 * `prototxt-ls upgrade -` (text on standard input): exit 0 with the upgraded
 * text on standard output; 2 when the text cannot be upgraded (syntax errors),
 * the reasons on standard error. Notes (what could not be carried over) come on
 * standard error with exit 0.
 */
export function upgradeOutcome(original: string, r: RunResult): UpgradeOutcome {
  if (r.code !== 0 || r.errorCode) {
    return { kind: "error", message: describeFailure("prototxt-ls upgrade", r) };
  }
  const notes = r.stderr.trim();
  // Compare and edit in the document's own line endings (Windows' text-mode
  // standard output turns every LF into CRLF).
  const lf = (s: string) => s.replace(/\r\n/g, "\n");
  let text = lf(r.stdout);
  if (original.includes("\r\n")) {
    text = text.replace(/\n/g, "\r\n");
  }
  if (text === original || lf(text) === lf(original)) {
    return { kind: "unchanged", notes };
  }
  return { kind: "edit", text, notes };
}

export type ShapesOutcome = { kind: "table"; text: string } | { kind: "error"; message: string };

/**
 * `prototxt-ls shapes FILE`: exit 0 with the table; 1 with the table when the
 * net has errors (a note on standard error); 2 when it cannot be read or is not a net.
 */
export function shapesOutcome(r: RunResult): ShapesOutcome {
  if ((r.code === 0 || r.code === 1) && !r.errorCode && r.stdout.trim()) {
    const note = r.stderr.trim();
    return { kind: "table", text: note ? `${r.stdout.replace(/\s+$/, "")}\n\n${note}\n` : r.stdout };
  }
  return { kind: "error", message: describeFailure("prototxt-ls shapes", r) };
}

/** Environment for a CLI run whose output is shown in the editor: wide, no colour, UTF-8. */
export function cliEnv(base: Record<string, string | undefined>, columns = 160): Record<string, string | undefined> {
  return { ...base, COLUMNS: String(columns), NO_COLOR: "1", PYTHONIOENCODING: "utf-8", PYTHONUTF8: "1" };
}
