"""[tool.prototxt-ls] configuration and inline ``# prototxt-ls: disable=`` comments."""

from __future__ import annotations

from pathlib import Path

from prototxt_ls.analysis.check import check_text
from prototxt_ls.config import load_config
from prototxt_ls.diagnostics import Severity

TYPO = 'layer {\n  convolution_param { kernal_size: 3 }\n}\n'


def codes(text: str, **kw) -> list[str]:
    """Codes of schema-level findings (the snippets are lone layers, so graph
    findings about their missing inputs are not what these tests are about)."""
    return [d.code for d in check_text(text, **kw).diagnostics if d.code[0] in "SFVC"]


def test_disable_on_the_same_line():
    text = 'layer {\n  convolution_param { kernal_size: 3 }  # prototxt-ls: disable=F101\n}\n'
    assert codes(text) == []


def test_disable_by_name_on_the_line_above():
    text = 'layer {\n  # prototxt-ls: disable=unknown-field\n  convolution_param { kernal_size: 3 }\n}\n'
    assert codes(text) == []


def test_disable_only_silences_the_named_code():
    text = 'layer {\n  convolution_param { kernal_size: 3.5 num_output: 1.0 }  # prototxt-ls: disable=F101\n}\n'
    assert codes(text) == ["F105"]


def test_disable_file_and_all():
    assert codes("# prototxt-ls: disable-file=F101\n" + TYPO) == []
    assert codes(TYPO + "# prototxt-ls: disable-file=all\n") == []


def test_unknown_code_in_directive_is_reported_at_the_code():
    text = 'name: "x"  # prototxt-ls: disable=F101, F999\n'
    (d,) = check_text(text).diagnostics
    assert d.code == "C901" and "F999" in d.message
    assert text[d.range.start.offset:d.range.end.offset] == "F999"


def _project(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "nets").mkdir()
    return tmp_path / "nets" / "a.prototxt"


def test_select_ignore_severity_and_per_file_ignores(tmp_path):
    f = _project(tmp_path, """
[tool.prototxt-ls]
select = ["F", "V"]
ignore = ["F105"]
[tool.prototxt-ls.severity]
F101 = "warning"
[tool.prototxt-ls.per-file-ignores]
"legacy/*.prototxt" = ["V202"]
""")
    cfg = load_config(f)
    assert cfg.root == tmp_path.resolve() and not cfg.warnings
    r = check_text(TYPO.replace("3 }", "3.5 }"), path=f, config=cfg)
    assert [(d.code, d.severity) for d in r.diagnostics if d.code[0] in "SFVC"] == [("F101", Severity.WARNING)]
    v1 = 'layers { name: "r" type: RELU }\n'
    assert codes(v1, path=f, config=cfg) == ["V202"]
    legacy = tmp_path / "legacy" / "old.prototxt"
    assert codes(v1, path=legacy, config=cfg) == []


def test_proto_setting_is_relative_to_the_pyproject(tmp_path):
    f = _project(tmp_path, '[tool.prototxt-ls]\nproto = "schema/my.proto"\n')
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "my.proto").write_text(
        'syntax = "proto2";\npackage caffe;\nmessage NetParameter { optional string name = 1; optional int32 extra = 7; }\n')
    cfg = load_config(f)
    assert codes('name: "x"\nextra: 3\n', path=f, config=cfg) == []


def test_bad_settings_warn_and_fall_back(tmp_path):
    f = _project(tmp_path, '[tool.prototxt-ls]\nselect = ["F999"]\nfail-on = "fatal"\ncolour = true\n')
    cfg = load_config(f)
    assert len(cfg.warnings) == 3
    assert cfg.select is None and cfg.fail_on == Severity.ERROR


def test_pyproject_without_our_table_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.prototxt-ls]\nignore = ["F101"]\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n')
    cfg = load_config(inner / "net.prototxt")
    assert cfg.root == tmp_path.resolve() and "F101" in cfg.ignore
