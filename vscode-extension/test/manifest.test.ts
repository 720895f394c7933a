import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";

import { COMMANDS, LANGUAGE_ID, SHAPES_SCHEME, UPGRADE_KIND } from "../src/ids";
import { manifest, readJson, ROOT } from "./helpers";

describe("package.json", () => {
  it("activates on the language, which has a configuration", () => {
    assert.deepEqual(manifest.activationEvents, [`onLanguage:${LANGUAGE_ID}`]);
    const lang = manifest.contributes.languages[0];
    assert.equal(lang.id, LANGUAGE_ID);
    assert.deepEqual(lang.extensions, [".prototxt"]);
    assert.ok(fs.existsSync(path.join(ROOT, lang.configuration)));
  });
  it("the grammar is registered for the language", () => {
    const g = manifest.contributes.grammars[0];
    assert.equal(g.language, LANGUAGE_ID);
    assert.equal(g.scopeName, "source.prototxt");
    assert.equal(readJson(g.path).scopeName, g.scopeName);
  });
  it("declares exactly the commands the extension registers", () => {
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(declared, Object.values(COMMANDS).sort());
    const editor = fs.readFileSync(path.join(ROOT, "src", "editor.ts"), "utf8");
    for (const key of Object.keys(COMMANDS)) {
      assert.match(editor, new RegExp(`registerCommand\\(COMMANDS\\.${key}\\b`), key);
    }
  });
  it("ships the bundle, not the sources", () => {
    assert.equal(manifest.main, "./dist/extension.js");
    assert.deepEqual(Object.keys(manifest.dependencies), ["vscode-languageclient"]);
    assert.match(manifest.scripts.package, /--no-dependencies/);
  });
  it("ids used at run time", () => {
    assert.equal(UPGRADE_KIND, "source.upgrade");
    assert.match(SHAPES_SCHEME, /^[a-z][a-z0-9+.-]*$/);
  });
});

describe("language configuration", () => {
  const config = readJson("language-configuration.json");
  it("comments, brackets, auto-closing, folding, indentation", () => {
    assert.equal(config.comments.lineComment, "#");
    assert.deepEqual(config.brackets, [
      ["{", "}"],
      ["[", "]"],
    ]);
    const pairs = config.autoClosingPairs.map((p: { open: string }) => p.open);
    assert.deepEqual(pairs, ["{", "[", '"', "'"]);
    assert.ok(config.folding.markers.start);
    assert.ok(config.indentationRules.increaseIndentPattern);
  });
  it("its regexes compile and indent what they should", () => {
    const inc = new RegExp(config.indentationRules.increaseIndentPattern);
    const dec = new RegExp(config.indentationRules.decreaseIndentPattern);
    assert.ok(inc.test("layer {"));
    assert.ok(inc.test("  convolution_param {  # comment"));
    assert.ok(!inc.test('  name: "a {"'));
    assert.ok(!inc.test("  param { lr_mult: 1 }"));
    assert.ok(dec.test("  }"));
    new RegExp(config.folding.markers.start);
    new RegExp(config.folding.markers.end);
    const word = new RegExp(config.wordPattern, "g");
    assert.deepEqual('top: "conv1/3x3_reduce"'.match(word), ["top", "conv1/3x3_reduce"]);
  });
});

describe("module boundaries", () => {
  it("the logic modules do not import vscode (they run under node)", () => {
    for (const name of ["launch.ts", "settings.ts", "pbtxt.ts", "cli.ts", "proc.ts", "ids.ts"]) {
      const text = fs.readFileSync(path.join(ROOT, "src", name), "utf8");
      assert.doesNotMatch(text, /from\s+["']vscode["']|require\(["']vscode["']\)/, name);
    }
  });
  it("extension.ts stays tiny", () => {
    const lines = fs.readFileSync(path.join(ROOT, "src", "extension.ts"), "utf8").split("\n").length;
    assert.ok(lines < 40, `${lines} lines`);
  });
});
