import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  CLIENT_KEYS,
  inputSpec,
  needsRestart,
  parseDims,
  SECTION,
  SERVER_KEYS,
  serverSettings,
  shapesArgs,
  upgradeArgs,
} from "../src/settings";
import { manifest } from "./helpers";

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe("serverSettings: VS Code settings -> the server's prototxt-ls section", () => {
  it("defaults give only inlayShapes", () => {
    assert.deepEqual(serverSettings(getter({ proto: "", select: [], ignore: [], inlayShapes: true, weights: {}, inputs: {} })), {
      inlayShapes: true,
    });
    assert.deepEqual(serverSettings(getter({})), { inlayShapes: true });
  });
  it("maps every key under the server's own names", () => {
    const s = serverSettings(
      getter({
        proto: "third_party/caffe.proto",
        select: ["F", "V201"],
        ignore: ["V202"],
        inlayShapes: false,
        weights: { "models/deploy.prototxt": "${workspaceFolder}/models/x.caffemodel" },
        inputs: { data: [1, 3, 224, 224], label: [1, null, "?"] },
        interpreter: "/usr/bin/python3",
        path: "/x",
      }),
      { workspaceFolder: "/ws" },
    );
    assert.deepEqual(s, {
      inlayShapes: false,
      proto: "/ws/third_party/caffe.proto",
      select: ["F", "V201"],
      ignore: ["V202"],
      weights: { "models/deploy.prototxt": "/ws/models/x.caffemodel" },
      inputs: { data: [1, 3, 224, 224], label: [1, null, null] },
    });
    for (const key of Object.keys(s)) {
      assert.ok((SERVER_KEYS as readonly string[]).includes(key), key);
    }
  });
  it("keeps absolute and ~ paths, accepts comma-separated codes", () => {
    const s = serverSettings(getter({ proto: "~/caffe/caffe.proto", select: "F, V201" }), { workspaceFolder: "/ws", home: "/h" });
    assert.equal(s.proto, "/h/caffe/caffe.proto");
    assert.deepEqual(s.select, ["F", "V201"]);
  });
  it("drops malformed values instead of sending them", () => {
    const s = serverSettings(getter({ select: [1, ""], weights: ["x"], inputs: { data: [1, "three"], ok: "1,3,8,8" } }));
    assert.deepEqual(s, { inlayShapes: true, inputs: { ok: [1, 3, 8, 8] } });
  });
  it("parses dimensions", () => {
    assert.deepEqual(parseDims("1x3x224x224"), [1, 3, 224, 224]);
    assert.deepEqual(parseDims([1, "?", null]), [1, null, null]);
    assert.equal(parseDims([1.5]), undefined);
    assert.equal(parseDims([]), undefined);
    assert.equal(parseDims({}), undefined);
  });
});

describe("CLI arguments", () => {
  it("shapes passes proto and inputs like the server sees them", () => {
    assert.deepEqual(shapesArgs("nets/a.prototxt", { inlayShapes: true }), ["shapes", "nets/a.prototxt"]);
    assert.deepEqual(
      shapesArgs("a.prototxt", { inlayShapes: true, proto: "/p/caffe.proto", inputs: { data: [1, 3, null, null] } }, "TRAIN"),
      ["shapes", "a.prototxt", "--phase", "TRAIN", "--proto", "/p/caffe.proto", "--input", "data=1,3,?,?"],
    );
    assert.equal(inputSpec("label", [1]), "label=1");
  });
  it("upgrade reads standard input", () => {
    assert.deepEqual(upgradeArgs(), ["upgrade", "-"]);
  });
  it("only the interpreter and path restart the server", () => {
    assert.equal(needsRestart((k) => k === "prototxt-ls.interpreter"), true);
    assert.equal(needsRestart((k) => k === "prototxt-ls.path"), true);
    assert.equal(needsRestart((k) => k === "prototxt-ls.select"), false);
  });
});

describe("package.json settings match the mapping", () => {
  const props: Record<string, any> = manifest.contributes.configuration.properties;
  const keys = Object.keys(props).map((k) => {
    assert.ok(k.startsWith(`${SECTION}.`), k);
    return k.slice(SECTION.length + 1);
  });
  it("every setting is a server key or a client key, and each key has a setting", () => {
    assert.deepEqual([...keys].sort(), [...SERVER_KEYS, ...CLIENT_KEYS].sort());
  });
  it("the defaults map to nothing but inlayShapes: true", () => {
    const defaults = Object.fromEntries(keys.map((k) => [k, props[`${SECTION}.${k}`].default]));
    assert.deepEqual(serverSettings((k) => defaults[k]), { inlayShapes: true });
  });
  it("interpreter and path are restricted in untrusted workspaces", () => {
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), [
      "prototxt-ls.interpreter",
      "prototxt-ls.path",
    ]);
  });
});
