"""Where the real-world corpus lives, for tests in any folder.

Test modules import from here (``from corpus_paths import CORPUS``), never from
``conftest``: several folders have a conftest.py, and which one Python finds
under that name depends on collection order.
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_rows() -> list[dict[str, str]]:
    """Rows of EXPECT.tsv, or [] when the corpus is not next to the project."""
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def lint_codes(text: str, **kwargs) -> list[str]:
    """Codes of the diagnostics ``check_text`` reports for ``text``."""
    from prototxt_ls.analysis.check import check_text

    return [d.code for d in check_text(text, **kwargs).diagnostics]
