// Tokenizes samples with the TextMate engine VS Code uses (vscode-textmate +
// the Oniguruma WASM build), so the grammar is tested as the editor runs it.

import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { before, describe, it } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import * as vsctm from "vscode-textmate";

import { manifest, ROOT } from "./helpers";

interface Token {
  text: string;
  scopes: string[];
}

let grammar: vsctm.IGrammar;

function tokenize(source: string): Token[][] {
  let stack = vsctm.INITIAL;
  return source.split("\n").map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** The scopes of the first token whose text is `text` (trimmed) in the source. */
function scopesOf(source: string, text: string, nth = 0): string[] {
  const hits = tokenize(source)
    .flat()
    .filter((t) => t.text.trim() === text);
  assert.ok(hits.length > nth, `no token ${JSON.stringify(text)} in ${JSON.stringify(tokenize(source).flat().map((t) => t.text))}`);
  return hits[nth].scopes;
}

function hasScope(scopes: string[], prefix: string): boolean {
  return scopes.some((s) => s.split(" ").some((part) => part === prefix || part.startsWith(`${prefix}.`)));
}

const NET = `# proto-file: caffe.proto
name: "LeNet"  # a comment
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  param { lr_mult: 1.5e-1 }
  convolution_param {
    num_output: 20
    kernel_size: 5
    weight_filler { type: "xavier" }
    bias_term: false
  }
  include { phase: TEST }
}
layers {
  type: POOLING
  pooling_param { pool: MAX stride: 0x2 }
}
input_dim: -1
dims: [1, 3, 224, 224]
threshold: inf
s: 'it\\'s'
`;

describe("TextMate grammar", () => {
  before(async () => {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const contribution = manifest.contributes.grammars[0];
    const grammarPath = path.join(ROOT, contribution.path);
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) =>
        scopeName === contribution.scopeName ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath) : null,
    });
    const loaded = await registry.loadGrammar(contribution.scopeName);
    assert.ok(loaded);
    grammar = loaded;
  });

  it("field names", () => {
    assert.ok(hasScope(scopesOf(NET, "num_output"), "support.type.property-name"));
    assert.ok(hasScope(scopesOf(NET, "name"), "support.type.property-name"));
    assert.ok(hasScope(scopesOf(NET, "convolution_param"), "entity.name.tag"));
    assert.ok(hasScope(scopesOf(NET, "layer"), "entity.name.tag.layer"));
    assert.ok(hasScope(scopesOf(NET, "layers"), "entity.name.tag.layer"));
  });
  it("layer type strings, V2 and V1", () => {
    const conv = scopesOf(NET, "Convolution");
    assert.ok(hasScope(conv, "entity.name.type.layer"));
    assert.ok(hasScope(conv, "string.quoted.double"));
    assert.ok(hasScope(scopesOf(NET, "POOLING"), "entity.name.type.layer"));
  });
  it("a type inside a nested message is a plain string, not a layer type", () => {
    const xavier = scopesOf(NET, "xavier");
    assert.ok(hasScope(xavier, "string.quoted.double"));
    assert.ok(!hasScope(xavier, "entity.name.type.layer"));
  });
  it("enum values and booleans", () => {
    assert.ok(hasScope(scopesOf(NET, "TEST"), "constant.language.enum"));
    assert.ok(hasScope(scopesOf(NET, "MAX"), "constant.language.enum"));
    assert.ok(hasScope(scopesOf(NET, "false"), "constant.language.boolean"));
  });
  it("numbers", () => {
    assert.ok(hasScope(scopesOf(NET, "20"), "constant.numeric.integer"));
    assert.ok(hasScope(scopesOf(NET, "1.5e-1"), "constant.numeric.float"));
    assert.ok(hasScope(scopesOf(NET, "0x2"), "constant.numeric.hex"));
    assert.ok(hasScope(scopesOf(NET, "-1"), "constant.numeric.integer"));
    assert.ok(hasScope(scopesOf(NET, "224"), "constant.numeric.integer"));
    assert.ok(hasScope(scopesOf(NET, "inf"), "constant.numeric.float"));
  });
  it("digits inside a name are not numbers", () => {
    const conv1 = tokenize('top: "conv1"\nlayer_1: 3')[1];
    assert.ok(conv1.some((t) => t.text === "layer_1" && hasScope(t.scopes, "support.type.property-name")));
  });
  it("strings and escapes", () => {
    assert.ok(hasScope(scopesOf(NET, "LeNet"), "string.quoted.double"));
    assert.ok(hasScope(scopesOf(NET, "\\'"), "constant.character.escape"));
    assert.ok(hasScope(scopesOf(NET, "it"), "string.quoted.single"));
  });
  it("comments and directives", () => {
    assert.ok(hasScope(scopesOf(NET, "a comment"), "comment.line.number-sign"));
    assert.ok(hasScope(scopesOf(NET, "proto-file"), "keyword.other.directive"));
    assert.ok(hasScope(scopesOf(NET, "proto-file"), "comment.line.number-sign"));
    const inString = tokenize('name: "a # not a comment"')[0];
    assert.ok(inString.every((t) => !hasScope(t.scopes, "comment")));
  });
  it("brackets", () => {
    assert.ok(hasScope(scopesOf(NET, "{"), "punctuation.section.block.begin"));
    assert.ok(hasScope(scopesOf(NET, "}"), "punctuation.section.block.end"));
    assert.ok(hasScope(scopesOf(NET, "["), "punctuation.section.brackets.begin"));
    assert.ok(hasScope(scopesOf(NET, "]"), "punctuation.section.brackets.end"));
  });
  it("blocks nest and close: the line after the net is back at the top", () => {
    const lines = tokenize(NET);
    const last = lines[lines.length - 2]; // s: 'it\'s'
    assert.ok(last.every((t) => !t.scopes.includes("meta.block.prototxt") && !t.scopes.includes("meta.block.layer.prototxt")));
  });
  it("every bundled example tokenizes without leaving a block open", () => {
    const examples = path.join(ROOT, "..", "examples");
    if (!fs.existsSync(examples)) {
      return;
    }
    for (const name of fs.readdirSync(examples).filter((n) => n.endsWith(".prototxt"))) {
      const text = fs.readFileSync(path.join(examples, name), "utf8");
      if (name.includes("syntax_errors")) {
        continue;
      }
      const lines = tokenize(text + "\nend_marker: 1");
      const end = lines[lines.length - 1];
      assert.deepEqual(end[0].scopes, ["source.prototxt", "support.type.property-name.prototxt"], name);
    }
  });
});
