// Names shared by package.json and the code. Plain module: no `vscode` import.

export const LANGUAGE_ID = "prototxt";
export const CLIENT_ID = "prototxt-ls";
export const CLIENT_NAME = "prototxt-ls";

export const COMMANDS = {
  restartServer: "prototxt-ls.restartServer",
  upgradeFile: "prototxt-ls.upgradeFile",
  showShapes: "prototxt-ls.showShapes",
  showOutput: "prototxt-ls.showOutput",
} as const;

/** The code action kind of the server's "Upgrade to the current format". */
export const UPGRADE_KIND = "source.upgrade";

/** Scheme of the read-only documents Show Shapes opens. */
export const SHAPES_SCHEME = "prototxt-ls-shapes";
