// Which program runs the server and the CLI commands, and what to say when it
// cannot. Plain module: no `vscode` import, unit-tested under node.

/** Values `${...}` in a setting can name. */
export interface VarContext {
  workspaceFolder?: string;
  home?: string;
  env?: Record<string, string | undefined>;
}

export interface LaunchInputs {
  /** `prototxt-ls.interpreter` (may be empty). */
  interpreter?: string;
  /** `prototxt-ls.path` (may be empty). */
  path?: string;
  /** The Python extension's command for the workspace: `[python]` or e.g. `["conda", "run", "-n", "x", "python"]`. */
  pythonExtension?: string[];
  /** `process.platform`. */
  platform?: string;
  vars?: VarContext;
}

export type LaunchSource = "path" | "interpreter" | "python-extension" | "default";

/** How to run prototxt-ls: a Python command (`<python...> -m prototxt_ls`) or an executable. */
export interface Launcher {
  source: LaunchSource;
  /** The Python command (program and its own arguments); absent for a `prototxt-ls` executable. */
  python?: string[];
  /** The `prototxt-ls` executable; absent for a Python command. */
  executable?: string;
  platform: string;
}

export interface Command {
  command: string;
  args: string[];
}

export const PACKAGE = "prototxt-ls";
export const MODULE = "prototxt_ls";

export function defaultPython(platform: string): string {
  return platform === "win32" ? "python" : "python3";
}

/** Expand `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function expandVars(value: string, vars: VarContext = {}): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return vars.env?.[envName] ?? "";
    }
    if (name === "workspaceFolder") {
      return vars.workspaceFolder ?? whole;
    }
    return vars.home ?? whole;
  });
  if (vars.home && (out === "~" || out.startsWith("~/") || out.startsWith("~\\"))) {
    out = vars.home + out.slice(1);
  }
  return out;
}

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p);
}

/**
 * A setting's program path: variables expanded; a relative path with a folder
 * part (`.venv/bin/python`) is taken from the workspace folder, a bare name
 * (`python3`) is left for the PATH lookup.
 */
export function resolveProgram(value: string, vars: VarContext = {}, platform = "linux"): string {
  const expanded = expandVars(value.trim(), vars);
  const hasFolder = expanded.includes("/") || (platform === "win32" && expanded.includes("\\"));
  if (hasFolder && !isAbsolute(expanded) && vars.workspaceFolder) {
    const sep = platform === "win32" ? "\\" : "/";
    const base = vars.workspaceFolder.replace(/[\\/]+$/, "");
    return base + sep + expanded.replace(/^\.[\\/]/, "");
  }
  return expanded;
}

/** The precedence: `prototxt-ls.path`, `prototxt-ls.interpreter`, the Python extension, `python3`. */
export function chooseLauncher(inputs: LaunchInputs): Launcher {
  const platform = inputs.platform ?? "linux";
  const vars = inputs.vars ?? {};
  const path = (inputs.path ?? "").trim();
  if (path) {
    return { source: "path", executable: resolveProgram(path, vars, platform), platform };
  }
  const interpreter = (inputs.interpreter ?? "").trim();
  if (interpreter) {
    return { source: "interpreter", python: [resolveProgram(interpreter, vars, platform)], platform };
  }
  const fromExtension = (inputs.pythonExtension ?? []).filter((part) => part.length > 0);
  if (fromExtension.length > 0) {
    return { source: "python-extension", python: fromExtension, platform };
  }
  return { source: "default", python: [defaultPython(platform)], platform };
}

/** `prototxt-ls ARGS` through the launcher: `<python...> -m prototxt_ls ARGS` or `<exe> ARGS`. */
export function commandFor(launcher: Launcher, args: string[]): Command {
  if (launcher.executable !== undefined) {
    return { command: launcher.executable, args: [...args] };
  }
  const [program, ...rest] = launcher.python ?? [defaultPython(launcher.platform)];
  return { command: program, args: [...rest, "-m", MODULE, ...args] };
}

export function serveCommand(launcher: Launcher): Command {
  return commandFor(launcher, ["serve"]);
}

/** The check run before starting: `<python> -c 'import prototxt_ls'`, or `<exe> --version`. */
export function probeCommand(launcher: Launcher): Command {
  if (launcher.executable !== undefined) {
    return { command: launcher.executable, args: ["--version"] };
  }
  const [program, ...rest] = launcher.python ?? [defaultPython(launcher.platform)];
  return { command: program, args: [...rest, "-c", `import ${MODULE}`] };
}

/** Quote one word for a shell command the user may copy. */
export function quote(word: string, platform = "linux"): string {
  if (word === "") {
    return platform === "win32" ? '""' : "''";
  }
  if (platform === "win32") {
    return /[\s"&|<>^()]/.test(word) ? `"${word.replace(/"/g, '""')}"` : word;
  }
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

export function displayCommand(words: string[], platform = "linux"): string {
  return words.map((w) => quote(w, platform)).join(" ");
}

/** How the user names the program in messages: the Python command, or the executable. */
export function displayLauncher(launcher: Launcher): string {
  return launcher.executable !== undefined
    ? quote(launcher.executable, launcher.platform)
    : displayCommand(launcher.python ?? [], launcher.platform);
}

/** The command that installs the package for the launcher's Python. */
export function installCommand(launcher: Launcher): string {
  const python = launcher.python ?? [defaultPython(launcher.platform)];
  return displayCommand([...python, "-m", "pip", "install", PACKAGE], launcher.platform);
}

/** What running a process gave (see proc.ts). */
export interface ProcessOutcome {
  code: number | null;
  /** `ENOENT`, `EACCES`, `ETIMEDOUT`... when the process could not run or was killed. */
  errorCode?: string;
  stderr: string;
}

export type ProbeProblem = "not-found" | "not-installed" | "failed" | "timeout";

export type ProbeResult = { ok: true } | { ok: false; problem: ProbeProblem; message: string; detail: string };

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length > 0 ? lines[lines.length - 1] : "";
}

/** Turn the probe's outcome into the message the user sees (with the fix). */
export function classifyProbe(launcher: Launcher, outcome: ProcessOutcome): ProbeResult {
  if (outcome.code === 0 && !outcome.errorCode) {
    return { ok: true };
  }
  const who = displayLauncher(launcher);
  const detail = outcome.stderr.trim();
  const isExe = launcher.executable !== undefined;
  if (outcome.errorCode === "ENOENT" || outcome.errorCode === "EACCES") {
    const message = isExe
      ? `The prototxt-ls executable ${who} was not found (${outcome.errorCode}): fix the setting prototxt-ls.path, or clear it to run prototxt-ls with Python.`
      : `The Python interpreter ${who} was not found (${outcome.errorCode}): set prototxt-ls.interpreter to a Python that has prototxt-ls installed, or select one with the Python extension.`;
    return { ok: false, problem: "not-found", message, detail };
  }
  if (outcome.errorCode === "ETIMEDOUT") {
    return { ok: false, problem: "timeout", message: `${who} did not answer in time while checking for prototxt-ls.`, detail };
  }
  if (!isExe && /ModuleNotFoundError|No module named/.test(outcome.stderr)) {
    return {
      ok: false,
      problem: "not-installed",
      message: `prototxt-ls is not installed for ${who}: run \`${installCommand(launcher)}\``,
      detail,
    };
  }
  const why = lastLine(outcome.stderr) || `exit code ${outcome.code}`;
  const message = isExe
    ? `${who} --version failed (${why}): check the setting prototxt-ls.path.`
    : `Importing prototxt_ls with ${who} failed (${why}): reinstall it with \`${installCommand(launcher)} --upgrade\`.`;
  return { ok: false, problem: "failed", message, detail };
}
