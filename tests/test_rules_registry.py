"""The rule table is complete and its documentation tells the truth.

Every rule's bad example must trigger it and its good example must not: the
examples double as the rule's fixtures (as sqlfluff's rule cases do).
"""

from __future__ import annotations

import re

import pytest

from prototxt_ls.analysis.check import check_text
from prototxt_ls.rules.catalog import NO_TEXT_EXAMPLE
from prototxt_ls.rules.registry import all_rules, expand, lookup

RULES = all_rules()


def test_codes_and_names_are_well_formed_and_unique():
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for r in RULES:
        assert re.fullmatch(r"[A-Z]\d{3}", r.code), r.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        assert r.code[0] == {"syntax": "S", "fields": "F", "versions": "V", "config": "C", "graph": "G",
                              "shapes": "H", "weights": "W",
                              "pitfalls": "P", "solver": "R", "data": "D", "sim": "T"}[r.family]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_documentation(rule):
    assert len(rule.summary) > 30 and len(rule.why) > 30
    assert rule.bad.strip() and rule.good.strip()
    doc = rule.doc_markdown()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc


@pytest.mark.parametrize("rule", [r for r in RULES if r.code not in NO_TEXT_EXAMPLE and r.family != "sim"],
                         ids=lambda r: r.code)
def test_bad_example_triggers_and_good_example_does_not(rule):
    """Lint's rules; the simulator's (T0xx) examples are run by tests/sim."""
    bad = [d.code for d in check_text(rule.bad).diagnostics]
    good = [d.code for d in check_text(rule.good).diagnostics]
    assert rule.code in bad, f"{rule.code} bad example gives {bad}"
    assert rule.code not in good, f"{rule.code} good example gives {good}"
    # Field, syntax and format examples are snippets (a layer without its
    # inputs); graph and shape examples are whole nets and must be clean.
    judged = [c for c in good if rule.code[0] in "GHWPRD" or c[0] in "SFVC"]
    assert not [c for c in judged if lookup(c).severity == 1], f"good example of {rule.code} has errors: {good}"


def test_lookup_by_code_name_and_prefix():
    assert lookup("f101").name == "unknown-field"
    assert lookup("unknown-field").code == "F101"
    assert lookup("nope") is None
    assert expand(["F10"]) >= {"F101", "F102", "F109"}
    assert expand(["all"]) == {r.code for r in RULES}
    with pytest.raises(ValueError, match="F999"):
        expand(["F999"])
