"""Shared fixtures (helpers live in corpus_paths.py, importable from any test folder)."""

from __future__ import annotations

import pytest

from corpus_paths import CORPUS, ROOT, corpus_rows, lint_codes  # noqa: F401  (re-exported for old imports)


@pytest.fixture
def corpus():
    if not (CORPUS / "EXPECT.tsv").is_file():
        pytest.skip("../shared/corpus is not available")
    return CORPUS
