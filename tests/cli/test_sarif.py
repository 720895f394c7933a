"""``--output-format sarif``: SARIF 2.1.0 with the fields code-scanning tools require."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NET = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 dim: 3 } }\n}\n'
       'layer {\n  name: "r"\n  type: "ReLU"\n  bottom: "data"\n  top: "r"\n'
       '  relu_param { negative_slop: 0.1 }\n}\n')


def test_sarif_document(tmp_path):
    f = tmp_path / "net.prototxt"
    f.write_text(NET)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "prototxt_ls", "lint", "--output-format", "sarif", str(f)],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "prototxt-ls" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids)) and "F101" in ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    (result,) = run["results"]
    assert result["ruleId"] == "F101" and driver["rules"][result["ruleIndex"]]["id"] == "F101"
    assert result["level"] == "error" and "negative_slop" in result["message"]["text"]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("net.prototxt")
    assert loc["region"] == {"startLine": 12, "startColumn": 16, "endLine": 12, "endColumn": 29}
    repl = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert repl["insertedContent"]["text"] == "negative_slope"
