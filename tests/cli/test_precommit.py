"""The pre-commit hooks, run for real with ``pre-commit try-repo`` in a scratch git repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ('layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 dim: 3 } }\n}\n')
BROKEN = CLEAN + 'layer {\n  name: "r"\n  type: "Relu"\n  bottom: "data"\n  top: "r"\n}\n'

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None or shutil.which("git") is None,
                                reason="pre-commit or git is not installed")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    repo = tmp_path_factory.mktemp("scratch")
    _git(repo, "init", "-q")
    (repo / "clean.prototxt").write_text(CLEAN)
    (repo / "broken.prototxt").write_text(BROKEN)
    (repo / "messy.prototxt").write_text(CLEAN.replace("\n  ", "\n        "))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "nets")
    return repo


def try_repo(repo: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pre-commit", "try-repo", str(ROOT), hook, "--files", *files], cwd=repo,
                          capture_output=True, text=True, timeout=600)


def test_lint_hook_passes_clean_and_fails_broken(scratch):
    ok = try_repo(scratch, "prototxt-lint", "clean.prototxt")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = try_repo(scratch, "prototxt-lint", "broken.prototxt")
    assert bad.returncode == 1 and "G307" in bad.stdout, bad.stdout + bad.stderr


def test_format_hook_rewrites_and_fails_then_passes(scratch):
    first = try_repo(scratch, "prototxt-format", "messy.prototxt")
    assert first.returncode == 1  # files were modified by the hook
    from prototxt_ls.format.formatter import format_text

    assert (scratch / "messy.prototxt").read_text() == format_text(CLEAN)
    again = try_repo(scratch, "prototxt-format", "messy.prototxt")
    assert again.returncode == 0, again.stdout + again.stderr
