// A stand-in for the `vscode` module, enough to activate the bundled extension
// (dist/extension.js) under node: explicit fakes for what the extension and
// the language client need to behave, and a harmless callable proxy for the
// rest of the API surface vscode-languageclient touches while it starts.

import Module from "module";
import * as path from "path";

function stub(name: string): any {
  const target: any = function () {};
  return new Proxy(target, {
    get(t, p) {
      if (p === "then") {
        return undefined;
      }
      if (p === Symbol.toPrimitive || p === "toString") {
        return () => `<${name}>`;
      }
      if (!(p in t)) {
        t[p] = stub(`${name}.${String(p)}`);
      }
      return t[p];
    },
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`),
  });
}

function withStubs<T extends object>(obj: T, name: string): T {
  return new Proxy(obj, {
    get(t: any, p) {
      if (p in t) {
        return t[p];
      }
      return p === "then" ? undefined : stub(`${name}.${String(p)}`);
    },
  });
}

class Disposable {
  constructor(private readonly fn?: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d?.dispose?.()));
  }
  dispose(): void {
    this.fn?.();
  }
}

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return new Disposable();
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {}
}

class Uri {
  readonly authority = "";
  readonly query = "";
  readonly fragment = "";
  constructor(readonly scheme: string, readonly path: string) {}
  get fsPath(): string {
    return this.path;
  }
  static file(p: string): Uri {
    return new Uri("file", p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(":")[0], s.replace(/^file:\/\//, ""));
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

const none = () => new Disposable();

export interface FakeState {
  output: string[];
  errors: { message: string; buttons: string[] }[];
  commands: string[];
  handlers: Map<string, (...args: unknown[]) => unknown>;
}

export interface FakeOptions {
  folder: string;
  settings: Record<string, unknown>;
  /** The Python extension's execCommand, or undefined for "not installed". */
  pythonExtension?: string[];
}

export function fakeVscode(options: FakeOptions): { vscode: any; state: FakeState } {
  const state: FakeState = { output: [], errors: [], commands: [], handlers: new Map() };
  const folder = { uri: Uri.file(options.folder), name: path.basename(options.folder), index: 0 };
  const pythonExtension = options.pythonExtension && {
    isActive: true,
    exports: { settings: { getExecutionDetails: () => ({ execCommand: options.pythonExtension }) } },
    activate: async () => undefined,
  };
  const channel = (name: string) =>
    withStubs(
      {
        name,
        appendLine: (l: string) => state.output.push(l),
        append: (l: string) => state.output.push(l),
        show() {},
        dispose() {},
        clear() {},
        replace() {},
      },
      "OutputChannel",
    );
  const vscode = withStubs(
    {
      version: "1.90.0",
      Disposable,
      EventEmitter,
      Uri,
      env: withStubs({ language: "en", appName: "fake-vscode", machineId: "m", sessionId: "s" }, "env"),
      window: withStubs(
        {
          createOutputChannel: channel,
          showErrorMessage: async (message: string, ...buttons: string[]) => {
            state.errors.push({ message, buttons });
            return undefined;
          },
          showWarningMessage: async () => undefined,
          showInformationMessage: async () => undefined,
          activeTextEditor: undefined,
          visibleTextEditors: [],
          onDidChangeActiveTextEditor: none,
          onDidChangeVisibleTextEditors: none,
        },
        "window",
      ),
      workspace: withStubs(
        {
          isTrusted: true,
          workspaceFolders: [folder],
          getWorkspaceFolder: () => folder,
          textDocuments: [],
          getConfiguration: (section?: string) => ({
            get: (key: string, dflt?: unknown) => {
              const value = section === "prototxt-ls" ? options.settings[key] : undefined;
              return value === undefined ? dflt : value;
            },
            has: () => false,
            inspect: () => undefined,
            update: async () => undefined,
          }),
          onDidChangeConfiguration: none,
          onDidGrantWorkspaceTrust: none,
          onDidOpenTextDocument: none,
          onDidCloseTextDocument: none,
          onDidChangeTextDocument: none,
          onDidSaveTextDocument: none,
          onWillSaveTextDocument: none,
          onDidChangeWorkspaceFolders: none,
          createFileSystemWatcher: () => ({ onDidCreate: none, onDidChange: none, onDidDelete: none, dispose() {} }),
          registerTextDocumentContentProvider: none,
        },
        "workspace",
      ),
      extensions: withStubs(
        { getExtension: (id: string) => (id === "ms-python.python" ? pythonExtension : undefined), all: [] },
        "extensions",
      ),
      commands: withStubs(
        {
          registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
            state.commands.push(id);
            state.handlers.set(id, handler);
            return new Disposable();
          },
          executeCommand: async () => undefined,
        },
        "commands",
      ),
      languages: withStubs({ setTextDocumentLanguage: async () => undefined, match: () => 0 }, "languages"),
    },
    "vscode",
  );
  return { vscode, state };
}

let hooked = false;

/** Load a fresh copy of `bundle` with `vscode` resolving to `fake`. */
export function loadWithFake(bundle: string, fake: any): any {
  const mod = Module as any;
  if (!hooked) {
    const resolve = mod._resolveFilename;
    mod._resolveFilename = function (request: string, ...rest: unknown[]) {
      return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
    };
    hooked = true;
  }
  require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: fake } as any;
  delete require.cache[require.resolve(bundle)];
  return require(bundle);
}
