import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { FIRST_LINE, headerNamesCaffe, shouldClaim } from "../src/pbtxt";
import { manifest } from "./helpers";

describe(".pbtxt header check", () => {
  it("FIRST_LINE is the firstLine of the language contribution", () => {
    assert.equal(manifest.contributes.languages[0].firstLine, FIRST_LINE);
  });
  const firstLine = new RegExp(FIRST_LINE);
  it("firstLine matches headers naming Caffe", () => {
    for (const line of [
      "# proto-file: third_party/caffe/src/caffe/proto/caffe.proto",
      "# proto-message: caffe.NetParameter",
      "# proto-message: caffe.SolverParameter",
      "# Caffe net for ResNet-50",
      "  # converted from CAFFE",
      "# prototxt-ls: input data=1,3,224,224",
    ]) {
      assert.ok(firstLine.test(line), line);
    }
  });
  it("firstLine does not match other text-format files", () => {
    for (const line of [
      "# proto-file: tensorflow/core/framework/graph.proto",
      "# proto-message: tensorflow.GraphDef",
      'node { name: "caffe" }',
      "# decaffeinated coffee",
      "name: \"x\"  # caffe",
    ]) {
      assert.ok(!firstLine.test(line), line);
    }
  });
  it("the content check reads every leading comment line", () => {
    assert.ok(headerNamesCaffe("# Exported by a converter.\n\n# proto-message: caffe.NetParameter\nname: \"x\"\n"));
    assert.ok(headerNamesCaffe("\uFEFF# caffe.proto net\r\nlayer {}\r\n"));
    assert.ok(!headerNamesCaffe("# proto-message: tensorflow.GraphDef\nnode {}\n"));
    assert.ok(!headerNamesCaffe('name: "x"\n# caffe after the header does not count\n'));
    assert.ok(!headerNamesCaffe(""));
  });
  it("claims only .pbtxt documents that are not prototxt yet", () => {
    const caffe = "# proto-file: caffe.proto\nname: \"n\"\n";
    assert.ok(shouldClaim("/w/net.pbtxt", "plaintext", caffe));
    assert.ok(shouldClaim("/w/NET.PBTXT", "textproto", caffe));
    assert.ok(!shouldClaim("/w/net.pbtxt", "prototxt", caffe));
    assert.ok(!shouldClaim("/w/net.txt", "plaintext", caffe));
    assert.ok(!shouldClaim("/w/graph.pbtxt", "plaintext", "node { }\n"));
  });
});
