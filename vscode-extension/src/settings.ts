// VS Code settings -> the `prototxt-ls` section the server reads through
// workspace/configuration (the keys of `[tool.prototxt-ls]` plus inlayShapes).
// Plain module: no `vscode` import.

import { expandVars, VarContext } from "./launch";

export const SECTION = "prototxt-ls";

/** Settings passed to the server, named as the server reads them. */
export const SERVER_KEYS = ["proto", "select", "ignore", "inlayShapes", "weights", "inputs"] as const;
/** Settings the client itself uses (how to start the server, tracing). */
export const CLIENT_KEYS = ["interpreter", "path", "trace.server"] as const;
/** Changing one of these needs a new server process. */
export const RESTART_KEYS = ["interpreter", "path"] as const;

export type Dim = number | null;

export interface ServerSettings {
  inlayShapes: boolean;
  proto?: string;
  select?: string[];
  ignore?: string[];
  weights?: Record<string, string>;
  inputs?: Record<string, Dim[]>;
}

/** Reads one key of the `prototxt-ls` section (`(key) => config.get(key)`). */
export type Getter = (key: string) => unknown;

function codes(value: unknown): string[] | undefined {
  let items: unknown[];
  if (typeof value === "string") {
    items = value.split(/[\s,]+/);
  } else if (Array.isArray(value)) {
    items = value;
  } else {
    return undefined;
  }
  const out = items.filter((v): v is string => typeof v === "string").map((v) => v.trim()).filter((v) => v.length > 0);
  return out.length > 0 ? out : undefined;
}

/** One input's dimensions: `[1, 3, 224, 224]`, `[1, null, "?"]` or `"1,3,224,224"`; undefined when malformed. */
export function parseDims(value: unknown): Dim[] | undefined {
  let items: unknown[];
  if (typeof value === "string") {
    items = value.split(/[,x\s]+/).filter((s) => s.length > 0);
  } else if (Array.isArray(value)) {
    items = value;
  } else {
    return undefined;
  }
  const dims: Dim[] = [];
  for (const item of items) {
    if (item === null || item === "?") {
      dims.push(null);
    } else if (typeof item === "number" && Number.isInteger(item) && item >= 0) {
      dims.push(item);
    } else if (typeof item === "string" && /^\d+$/.test(item.trim())) {
      dims.push(Number(item.trim()));
    } else {
      return undefined;
    }
  }
  return dims.length > 0 ? dims : undefined;
}

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p);
}

/** A path setting: variables expanded, relative paths taken from the workspace folder. */
export function resolvePath(value: string, vars: VarContext = {}): string {
  const expanded = expandVars(value.trim(), vars);
  if (expanded && !isAbsolute(expanded) && vars.workspaceFolder) {
    const sep = vars.workspaceFolder.includes("\\") && !vars.workspaceFolder.includes("/") ? "\\" : "/";
    return vars.workspaceFolder.replace(/[\\/]+$/, "") + sep + expanded.replace(/^\.[\\/]/, "");
  }
  return expanded;
}

/** The `prototxt-ls` section for the server: empty settings left out, bad values dropped. */
export function serverSettings(get: Getter, vars: VarContext = {}): ServerSettings {
  const out: ServerSettings = { inlayShapes: get("inlayShapes") !== false };
  const proto = get("proto");
  if (typeof proto === "string" && proto.trim()) {
    out.proto = resolvePath(proto, vars);
  }
  const select = codes(get("select"));
  if (select) {
    out.select = select;
  }
  const ignore = codes(get("ignore"));
  if (ignore) {
    out.ignore = ignore;
  }
  const weights = get("weights");
  if (weights && typeof weights === "object" && !Array.isArray(weights)) {
    const table: Record<string, string> = {};
    for (const [net, model] of Object.entries(weights as Record<string, unknown>)) {
      if (typeof model === "string" && model.trim() && net.trim()) {
        table[net] = expandVars(model.trim(), vars);
      }
    }
    if (Object.keys(table).length > 0) {
      out.weights = table;
    }
  }
  const inputs = get("inputs");
  if (inputs && typeof inputs === "object" && !Array.isArray(inputs)) {
    const table: Record<string, Dim[]> = {};
    for (const [blob, dims] of Object.entries(inputs as Record<string, unknown>)) {
      const parsed = parseDims(dims);
      if (parsed && blob.trim()) {
        table[blob] = parsed;
      }
    }
    if (Object.keys(table).length > 0) {
      out.inputs = table;
    }
  }
  return out;
}

/** `NAME=N,C,H,W` as `prototxt-ls shapes --input` takes it (`?` for unknown). */
export function inputSpec(name: string, dims: Dim[]): string {
  return `${name}=${dims.map((d) => (d === null ? "?" : String(d))).join(",")}`;
}

/** Arguments of `prototxt-ls shapes FILE` with the settings that matter to it. */
export function shapesArgs(file: string, settings: ServerSettings, phase?: string): string[] {
  const args = ["shapes", file];
  if (phase) {
    args.push("--phase", phase);
  }
  if (settings.proto) {
    args.push("--proto", settings.proto);
  }
  for (const [name, dims] of Object.entries(settings.inputs ?? {})) {
    args.push("--input", inputSpec(name, dims));
  }
  return args;
}

/** Arguments of `prototxt-ls upgrade` that read the text on standard input. */
export function upgradeArgs(): string[] {
  return ["upgrade", "-"];
}

/** Does a configuration change (`affects(fullKey)`) need a new server process? */
export function needsRestart(affects: (key: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(`${SECTION}.${key}`));
}
