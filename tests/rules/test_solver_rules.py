"""Solver rules (R701-R718): each rule's finding, its exact range, and the corrected solver.

Solvers are written into a temporary project (``Config.root``) next to a clean
two-phase net, so path rules resolve and only the rule under test fires.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from prototxt_ls.analysis.check import check_bytes, check_text
from prototxt_ls.analysis.schemas import SchemaStore
from prototxt_ls.config import Config
from prototxt_ls.diagnostics import Severity
from prototxt_ls.fixes import apply_edits
from prototxt_ls.rules.solver_files import resolve, search_bases
from prototxt_ls.syntax.parser import parse

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BUNDLED_PROTO = Path(__file__).resolve().parents[2] / "prototxt_ls" / "schema" / "caffe.proto"

NET = """name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 8 dim: 4 } } }
layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 8 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" top: "acc" include { phase: TEST } }
"""

GOOD = """net: "train_val.prototxt"
test_iter: 10
test_interval: 100
base_lr: 0.01
momentum: 0.9
lr_policy: "step"
gamma: 0.1
stepsize: 400
max_iter: 1000
"""


class Project:
    """A temporary project: ``models/train_val.prototxt`` (clean) and solvers beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.models = root / "models"
        self.models.mkdir()
        (self.models / "train_val.prototxt").write_text(NET)
        self.config = Config(root=root)

    def lint(self, text: str, name: str = "models/solver.prototxt", config: Config | None = None, **kw):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return check_bytes(text.encode(), path, config or self.config, **kw)


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path)


def rcodes(result) -> list[str]:
    """The solver-rule codes found, in order."""
    return [d.code for d in result.diagnostics if d.code.startswith("R")]


def errors(result) -> list[str]:
    return [d.code for d in result.diagnostics if d.severity == Severity.ERROR]


def one(result, code: str):
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in result.diagnostics]
    return found[0]


def span(d) -> tuple[int, int, int, int]:
    """1-based (line, column, end line, end column)."""
    r = d.range
    return (r.start.line + 1, r.start.column + 1, r.end.line + 1, r.end.column + 1)


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_good_solver_is_clean(project):
    r = project.lint(GOOD)
    assert rcodes(r) == [] and errors(r) == [], [(d.code, d.message) for d in r.diagnostics]


# ---------------------------------------------------------------------- R701
def test_r701_unknown_policy_with_suggestion_and_fix(project):
    text = edit(GOOD, 'lr_policy: "step"', 'lr_policy: "Step"')
    d = one(project.lint(text), "R701")
    assert span(d) == (6, 12, 6, 18) and d.severity == Severity.ERROR
    assert "Unknown learning rate policy: Step" in d.message and "did you mean 'step'" in d.message
    assert apply_edits(text, list(d.fixes[0].edits)) == GOOD
    assert rcodes(project.lint(GOOD)) == []


def test_r701_missing_policy_points_at_base_lr(project):
    text = edit(GOOD, 'lr_policy: "step"\n', "")
    d = one(project.lint(text), "R701")
    assert span(d) == (4, 10, 4, 14) and "lr_policy is not set" in d.message


def test_r701_is_a_warning_under_a_fork_schema(project, tmp_path):
    fork = tmp_path / "fork" / "caffe.proto"
    fork.parent.mkdir()
    shutil.copy(BUNDLED_PROTO, fork)
    d = one(project.lint(edit(GOOD, '"step"', '"plateau"'), proto=fork), "R701")
    assert d.severity == Severity.WARNING and "fork" in d.message


def test_r701_missing_parts_are_not_reported_on_a_file_protobuf_refuses():
    r = check_text('# proto-message: caffe.SolverParameter\nname: "x"\n')
    assert [d.code for d in r.diagnostics] == ["F101"]


# ---------------------------------------------------------------------- R702
def test_r702_step_without_stepsize_points_at_the_policy(project):
    d = one(project.lint(edit(GOOD, "stepsize: 400\n", "")), "R702")
    assert span(d) == (6, 12, 6, 18) and "stepsize is not set" in d.message


@pytest.mark.parametrize("old,new,where", [
    ("stepsize: 400", "stepsize: 0", (8, 11, 8, 12)),
    ("gamma: 0.1", "gamma: -0.1", (7, 8, 7, 12)),
])
def test_r702_values_caffe_checks(project, old, new, where):
    d = one(project.lint(edit(GOOD, old, new)), "R702")
    assert span(d) == where and d.severity == Severity.ERROR


def test_r702_sigmoid_needs_stepsize(project):
    text = edit(edit(GOOD, '"step"', '"sigmoid"'), "stepsize: 400\n", "")
    assert "R702" in rcodes(project.lint(text))
    assert rcodes(project.lint(edit(GOOD, '"step"', '"sigmoid"'))) == []


def test_r702_unreadable_value_is_left_to_the_schema_check(project):
    r = project.lint(edit(GOOD, "stepsize: 400", "stepsize: 1e4"))
    assert "F105" in [d.code for d in r.diagnostics] and "R702" not in rcodes(r)


# ---------------------------------------------------------------------- R703
@pytest.mark.parametrize("policy,params,missing", [
    ("inv", "gamma: 0.0001\n", "power"),
    ("inv", "power: 0.75\n", "gamma"),
    ("exp", "", "gamma"),
    ("step", "stepsize: 400\n", "gamma"),
    ("multistep", "gamma: 0.1\n", "stepvalue"),
    ("poly", "", "power"),
])
def test_r703_missing_parameter(project, policy, params, missing):
    text = f'net: "train_val.prototxt"\nbase_lr: 0.01\nmax_iter: 1000\nlr_policy: "{policy}"\n{params}'
    found = [d for d in project.lint(text).diagnostics if d.code == "R703"]
    assert found and all(span(d)[:2] == (4, 12) for d in found)
    assert any(missing in d.message for d in found)


def test_r703_poly_without_max_iter(project):
    text = 'net: "train_val.prototxt"\nbase_lr: 0.01\nlr_policy: "poly"\npower: 0.5\n'
    d = one(project.lint(text), "R703")
    assert "max_iter is not set" in d.message and span(d) == (3, 12, 3, 18)


@pytest.mark.parametrize("policy,params", [
    ("inv", "gamma: 0.0001\npower: 0.75\n"),
    ("exp", "gamma: 0.9999\n"),
    ("poly", "power: 0.5\n"),
    ("multistep", "gamma: 0.1\nstepvalue: 500\n"),
    ("fixed", ""),
])
def test_r703_complete_policies(project, policy, params):
    text = f'net: "train_val.prototxt"\nbase_lr: 0.01\nmax_iter: 1000\nlr_policy: "{policy}"\n{params}'
    assert rcodes(project.lint(text)) == []


# ---------------------------------------------------------------------- R704, R705
MULTI = 'net: "train_val.prototxt"\nbase_lr: 0.01\nmax_iter: 10000\nlr_policy: "multistep"\ngamma: 0.1\n'


def test_r704_stepvalue_out_of_order(project):
    d = one(project.lint(MULTI + "stepvalue: 8000\nstepvalue: 5000\n"), "R704")
    assert span(d) == (7, 12, 7, 16) and "right after iteration 8000" in d.message
    assert rcodes(project.lint(MULTI + "stepvalue: 5000\nstepvalue: 8000\n")) == []


def test_r705_stepvalue_beyond_max_iter(project):
    d = one(project.lint(MULTI + "stepvalue: 5000\nstepvalue: 12000\n"), "R705")
    assert span(d) == (7, 12, 7, 17) and "never happens" in d.message


def test_r705_stepsize_beyond_max_iter(project):
    d = one(project.lint(edit(GOOD, "stepsize: 400", "stepsize: 1000")), "R705")
    assert span(d) == (8, 11, 8, 15) and "never drops" in d.message


@pytest.mark.parametrize("old,new", [
    ("gamma: 0.1", "gamma: 1"),  # a constant schedule on purpose (SegNet)
    ("max_iter: 1000", "max_iter: 0"),  # a test-only solver (MobileNet-SSD's solver_test)
])
def test_r705_not_reported(project, old, new):
    text = edit(edit(GOOD, "stepsize: 400", "stepsize: 5000"), old, new)
    assert "R705" not in rcodes(project.lint(text))


# ---------------------------------------------------------------------- R706, R707, R708
def test_r706_type_and_solver_type(project):
    text = GOOD + 'type: "Nesterov"\nsolver_type: NESTEROV\n'
    d = one(project.lint(text), "R706")
    assert span(d) == (11, 1, 11, 12) and d.severity == Severity.ERROR
    assert d.related[0][0].start.line == 9
    fixed = apply_edits(text, list(d.fixes[0].edits))
    assert fixed == GOOD + 'type: "Nesterov"\n' and rcodes(project.lint(fixed)) == []


def test_r707_legacy_solver_type_fix_is_caffes_upgrade(project):
    text = GOOD + "solver_type: NESTEROV\n"
    d = one(project.lint(text), "R707")
    assert span(d) == (10, 1, 10, 12) and d.severity == Severity.INFO and d.fixes[0].safe
    fixed = apply_edits(text, list(d.fixes[0].edits))
    assert fixed.endswith('type: "Nesterov"\n') and rcodes(project.lint(fixed)) == []


def test_r708_unknown_type_suggests_the_spelling(project):
    text = GOOD + 'type: "Adagrad"\n'
    d = one(project.lint(edit(text, "momentum: 0.9\n", "")), "R708")
    assert span(d) == (9, 7, 9, 16) and "did you mean 'AdaGrad'" in d.message
    assert d.fixes[0].edits[0].new_text == '"AdaGrad"'
    assert rcodes(project.lint(edit(GOOD + 'type: "AdaGrad"\n', "momentum: 0.9\n", ""))) == []


# ---------------------------------------------------------------------- R709
@pytest.mark.parametrize("extra,where", [
    ('type: "AdaGrad"\n', (5, 11, 5, 14)),  # GOOD's momentum: 0.9
    ('type: "RMSProp"\n', (5, 11, 5, 14)),
])
def test_r709_momentum_with_adagrad_or_rmsprop(project, extra, where):
    d = one(project.lint(GOOD + extra), "R709")
    assert span(d) == where and "Momentum cannot be used" in d.message
    assert rcodes(project.lint(edit(GOOD, "momentum: 0.9", "momentum: 0.0") + extra)) == []


@pytest.mark.parametrize("extra,where,needle", [
    ('type: "RMSProp"\nrms_decay: 1.0\n', (10, 12, 10, 15), "rms_decay"),
    ("average_loss: 0\n", (9, 15, 9, 16), "average_loss"),
    ('weight_decay: 0.0005\nregularization_type: "L3"\n', (10, 22, 10, 26), "regularization type"),
])
def test_r709_other_checked_settings(project, extra, where, needle):
    text = edit(GOOD, "momentum: 0.9\n", "") + extra
    d = one(project.lint(text), "R709")
    assert span(d) == where and needle in d.message
    fixed = text.replace("rms_decay: 1.0", "rms_decay: 0.98").replace("average_loss: 0", "average_loss: 10")
    assert rcodes(project.lint(fixed.replace('"L3"', '"L1"'))) == []


# ---------------------------------------------------------------------- R710, R711
ADAM = 'net: "train_val.prototxt"\ntype: "Adam"\nbase_lr: 0.001\nmomentum: 0.9\nmomentum2: 0.999\n' \
       'lr_policy: "fixed"\nmax_iter: 1000\n'


def test_r710_adam_without_momentum(project):
    d = one(project.lint(edit(ADAM, "momentum: 0.9\n", "")), "R710")
    assert span(d) == (2, 7, 2, 13) and "beta1" in d.message
    assert rcodes(project.lint(ADAM)) == []
    assert rcodes(project.lint(edit(ADAM, "momentum2: 0.999\n", ""))) == []  # Caffe's default is 0.999


@pytest.mark.parametrize("old,new,where", [
    ("momentum2: 0.999", "momentum2: 1.0", (5, 12, 5, 15)),
    ("base_lr: 0.001", "base_lr: 0.05", (3, 10, 3, 14)),
])
def test_r710_adam_values(project, old, new, where):
    d = one(project.lint(edit(ADAM, old, new)), "R710")
    assert span(d) == where


def test_r711_high_lr_without_clipping_explains_debug_info(project):
    text = edit(GOOD, "base_lr: 0.01", "base_lr: 0.5")
    d = one(project.lint(text), "R711")
    assert span(d) == (4, 10, 4, 13) and d.severity == Severity.WARNING
    assert "debug_info: true" in d.message and "[Forward]" in d.message
    assert rcodes(project.lint(text + "clip_gradients: 10\n")) == []
    assert rcodes(project.lint(GOOD)) == []


def test_r711_thresholds_per_type_and_from_config(project):
    adagrad = edit(GOOD, "momentum: 0.9\n", "") + 'type: "AdaGrad"\n'
    assert "R711" in rcodes(project.lint(edit(adagrad, "base_lr: 0.01", "base_lr: 0.05")))
    adadelta = edit(GOOD, "base_lr: 0.01", "base_lr: 1.0") + 'type: "AdaDelta"\ndelta: 1e-6\n'
    assert rcodes(project.lint(adadelta)) == []
    cfg = Config(root=project.root)
    cfg.options = {"solver-sgd-max-lr": 0.005}
    d = one(project.lint(GOOD, config=cfg), "R711")
    assert "above 0.005" in d.message


# ---------------------------------------------------------------------- R712, R713, R714
def test_r712_test_iter_without_test_net(project):
    (project.models / "train.prototxt").write_text(NET)
    text = edit(GOOD, 'net: "train_val.prototxt"', 'train_net: "train.prototxt"')
    d = one(project.lint(text), "R712")
    assert span(d) == (2, 12, 2, 14) and "no `net`/`net_param`" in d.message
    fixed = edit(text, "test_iter", 'test_net: "train_val.prototxt"\ntest_iter')
    assert rcodes(project.lint(fixed)) == []


def test_r712_test_net_without_test_iter(project):
    text = edit(GOOD, "test_iter: 10\n", 'test_net: "train_val.prototxt"\n')
    d = one(project.lint(text), "R712")
    assert span(d) == (2, 1, 2, 9)
    assert rcodes(project.lint(edit(text, "test_interval", "test_iter: 10\ntest_interval"))) == []


def test_r712_test_state_count(project):
    text = GOOD + 'test_state { stage: "a" }\ntest_state { stage: "b" }\n'
    d = one(project.lint(text), "R712")
    assert span(d) == (11, 1, 11, 11) and "test_state" in d.message
    two = edit(text, "test_iter: 10\n", "test_iter: 10\ntest_iter: 20\n")
    assert rcodes(project.lint(two)) == []


def test_r713_test_without_interval(project):
    d = one(project.lint(edit(GOOD, "test_interval: 100\n", "")), "R713")
    assert span(d) == (2, 1, 2, 10) and "not set" in d.message
    d = one(project.lint(edit(GOOD, "test_interval: 100", "test_interval: 0")), "R713")
    assert span(d) == (3, 16, 3, 17)
    assert rcodes(project.lint(edit(edit(GOOD, "test_interval: 100\n", ""), "test_iter: 10\n", ""))) == []


def test_r714_no_train_net(project):
    d = one(project.lint(edit(edit(GOOD, 'net: "train_val.prototxt"\n', ""), "test_iter: 10\n", "")), "R714")
    assert span(d) == (1, 1, 1, 14)


def test_r714_two_train_nets(project):
    d = one(project.lint(GOOD + 'train_net: "train_val.prototxt"\n'), "R714")
    assert span(d) == (10, 1, 10, 10) and d.related[0][0].start.line == 0


# ---------------------------------------------------------------------- R715 paths
def test_r715_relative_to_the_solver_folder(project):
    assert rcodes(project.lint(GOOD)) == []  # models/solver.prototxt next to models/train_val.prototxt


def test_r715_relative_to_the_workspace_root(project):
    text = edit(GOOD, '"train_val.prototxt"', '"models/train_val.prototxt"')
    assert rcodes(project.lint(text, name="models/sub/solver.prototxt")) == []


def test_r715_missing_net_lists_the_paths_tried(project):
    text = edit(GOOD, '"train_val.prototxt"', '"nets/missing.prototxt"')
    d = one(project.lint(text, name="models/sub/solver.prototxt"), "R715")
    assert span(d) == (1, 6, 1, 29) and d.severity == Severity.WARNING
    root = project.root.absolute()
    assert (f"tried {root}/models/sub/nets/missing.prototxt (the solver's folder), "
            f"{root}/models/nets/missing.prototxt (a parent folder), "
            f"{root}/nets/missing.prototxt (the workspace root)") in d.message


def test_r715_without_a_workspace_root_searches_the_folders_above(tmp_path):
    (tmp_path / "caffe" / "examples" / "mnist").mkdir(parents=True)
    (tmp_path / "caffe" / "examples" / "mnist" / "net.prototxt").write_text(NET)
    solver = tmp_path / "caffe" / "examples" / "mnist" / "solver.prototxt"
    text = edit(GOOD, '"train_val.prototxt"', '"examples/mnist/net.prototxt"')
    solver.write_text(text)
    r = check_bytes(text.encode(), solver, Config())
    assert rcodes(r) == []
    cfg = Config()
    cfg.options = {"solver-search-depth": 1}
    d = one(check_bytes(text.encode(), solver, cfg), "R715")
    assert d.message.count("(a parent folder)") == 1


def test_r715_absolute_path(project):
    net = project.models / "train_val.prototxt"
    assert rcodes(project.lint(edit(GOOD, '"train_val.prototxt"', f'"{net}"'))) == []
    d = one(project.lint(edit(GOOD, '"train_val.prototxt"', '"/no/such/net.prototxt"')), "R715")
    assert "tried /no/such/net.prototxt (absolute path)" in d.message


def test_resolve_reports_every_candidate(project):
    bases = search_bases(project.models / "solver.prototxt", project.config)
    found, tried = resolve("train_val.prototxt", bases)
    assert found == project.models.absolute() / "train_val.prototxt"
    assert [label for _, label in tried] == ["the solver's folder", "the workspace root"]


# ---------------------------------------------------------------------- R716
def test_r716_missing_snapshot_folder(project):
    text = GOOD + 'snapshot: 100\nsnapshot_prefix: "snapshots/lenet"\n'
    d = one(project.lint(text), "R716")
    root = project.root.absolute()
    assert span(d) == (11, 18, 11, 35)
    assert f"tried {root}/models/snapshots (the solver's folder), {root}/snapshots (the workspace root)" in d.message
    (project.root / "snapshots").mkdir()
    assert rcodes(project.lint(text)) == []  # found from the workspace root


@pytest.mark.parametrize("extra", [
    'snapshot_prefix: "lenet"\n',  # the folder caffe runs in
    'snapshot_prefix: "models"\n',  # an existing folder: Caffe master appends the solver's name
    'snapshot: 0\nsnapshot_after_train: false\nsnapshot_prefix: "snapshots/lenet"\n',  # never written
])
def test_r716_not_reported(project, extra):
    assert rcodes(project.lint(GOOD + extra)) == []


# ---------------------------------------------------------------------- R717
def test_r717_debug_info(project):
    d = one(project.lint(GOOD + "debug_info: true\n"), "R717")
    assert span(d) == (10, 13, 10, 17) and d.severity == Severity.INFO
    assert d.fixes[0].edits[0].new_text == "false"
    assert rcodes(project.lint(GOOD + "debug_info: false\n")) == []


# ---------------------------------------------------------------------- R718 nets
BAD_NET = NET.replace('bottom: "fc" bottom: "label" top: "loss"', 'bottom: "fc" bottom: "lable" top: "loss"')
TEST_ONLY_BAD = NET.replace('bottom: "fc" bottom: "label" top: "acc"', 'bottom: "fc" bottom: "lbl" top: "acc"')


def test_r718_names_the_net_its_error_count_and_first_error(project):
    (project.models / "train_val.prototxt").write_text(BAD_NET)
    d = one(project.lint(GOOD), "R718")
    assert span(d) == (1, 6, 1, 26) and d.severity == Severity.ERROR
    assert d.message.startswith("the net train_val.prototxt has 1 error when Caffe builds it for training and "
                                "test net #0: first at line 5: Unknown bottom blob 'lable'")
    assert d.message.endswith("(G301)")


def test_r718_only_for_the_phases_the_solver_builds(project):
    (project.models / "net.prototxt").write_text(TEST_ONLY_BAD)
    train_only = 'train_net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\n'
    assert rcodes(project.lint(train_only)) == []
    d = one(project.lint(edit(GOOD, "train_val.prototxt", "net.prototxt")), "R718")
    assert "test net #0" in d.message and "lbl" in d.message


def test_r718_judges_a_phase_the_net_file_alone_does_not_name(project):
    # The file's only phase rule names TEST; its Input layer exists in TRAIN too, so TRAIN is judged
    # when the net is linted alone, and the solver that trains it reports it as well.
    train_bad = NET + 'layer { name: "r" type: "ReLU" bottom: "missing" top: "r" exclude { phase: TEST } }\n'
    (project.models / "net.prototxt").write_text(train_bad)
    alone = [d for d in check_text(train_bad).diagnostics if d.severity == Severity.ERROR]
    assert [d.code for d in alone] == ["G301"] and "TRAIN" in alone[0].message
    train_only = 'train_net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\n'
    d = one(project.lint(train_only), "R718")
    assert "for training: first at line 7: Unknown bottom blob 'missing'" in d.message


def test_r718_applies_test_state_stages(project):
    staged = NET + ('layer { name: "val_only" type: "ReLU" bottom: "missing" top: "v" '
                    'include { phase: TEST stage: "val" } }\n')
    (project.models / "train_val.prototxt").write_text(staged)
    assert rcodes(project.lint(GOOD)) == []  # the stage is never set: that layer is never built
    d = one(project.lint(GOOD + 'test_state { stage: "val" }\n'), "R718")
    assert "Unknown bottom blob 'missing'" in d.message and "test net #0" in d.message


def test_r718_each_test_net_gets_its_own_test_state(project):
    staged = NET + ('layer { name: "b_only" type: "ReLU" bottom: "missing" top: "v" '
                    'include { phase: TEST stage: "b" } }\n')
    (project.models / "train_val.prototxt").write_text(staged)
    text = edit(GOOD, "test_iter: 10\n", 'test_iter: 10\ntest_iter: 20\n')
    text += 'test_state { stage: "a" }\ntest_state { stage: "b" }\n'
    d = one(project.lint(text), "R718")
    assert "when Caffe builds it for training and 2 test nets" in d.message
    assert "(in test net #1 only)" in d.message


def test_r718_schema_errors_of_the_net_count_too(project):
    (project.models / "train_val.prototxt").write_text(NET.replace("num_output: 3", "num_ouptut: 3"))
    d = one(project.lint(GOOD), "R718")
    assert "has 2 errors" in d.message  # F101 on the misspelt field, then G308: no num_output
    (project.models / "train_val.prototxt").write_text(NET.replace("num_output: 3", "num_output: 3 bogus: 1"))
    d = one(project.lint(GOOD), "R718")
    assert "has 1 error " in d.message and d.message.endswith("(F101)")


def test_r718_inline_net_lists_each_error(project):
    inline = ('net_param {\n  name: "tiny"\n'
              '  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }\n'
              '  layer { name: "a" type: "ReLU" bottom: "dta" top: "a" }\n'
              '  layer { name: "b" type: "ReLU" bottom: "aa" top: "b" }\n}\n')
    text = inline + "base_lr: 0.01\nlr_policy: \"fixed\"\nmax_iter: 10\n"
    d = one(project.lint(text), "R718")
    assert span(d) == (1, 1, 1, 10) and "the inline net_param has 2 errors" in d.message
    assert [rng.start.line + 1 for rng, _ in d.related] == [4, 5]
    fixed = text.replace('"dta"', '"data"').replace('"aa"', '"a"')
    assert errors(project.lint(fixed)) == []


def test_r718_a_solver_naming_itself_does_not_recurse(project):
    text = 'net: "solver.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\n'
    r = project.lint(text)
    assert "R718" not in rcodes(r)


def test_r718_can_be_switched_off(project):
    (project.models / "train_val.prototxt").write_text(BAD_NET)
    cfg = Config(root=project.root, ignore={"R718"})
    assert rcodes(project.lint(GOOD, config=cfg)) == []


# ---------------------------------------------------------------------- the example
def test_solver_pitfalls_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "solver_pitfalls.prototxt"
    r = check_bytes(path.read_bytes(), path, Config())
    assert sorted(set(rcodes(r))) == ["R704", "R705", "R706", "R710", "R713", "R716", "R717"]


# ---------------------------------------------------------------------- the corpus
#: Solvers whose *net* Caffe refuses (the solver itself is fine): R718 is right there.
NET_REFUSED = {
    "s9xie__hed/examples/hed/solver.prototxt":
        "oracle: BVLC Caffe aborts on train_val.prototxt (Unknown layer type: ImageLabelmapData)",
    "lim0606__caffe-googlenet-bn@old/solver_stepsize_6400.prototxt":
        "EXPECT.tsv: train_val_inception_bn.prototxt is invalid (DataParameter has no field shuffle)",
    "weiliu89__caffe@pull-159-head/examples/kitti/detectnet_solver.prototxt":
        "protoc rejects detectnet_network.prototxt even under its fork schema (see ERRATA in "
        "tests/analysis/test_corpus_expectations.py)",
}


def _corpus_rows() -> list[dict[str, str]]:
    index = CORPUS / "EXPECT.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _project_config(row: dict[str, str], schema_of: dict[str, str]) -> Config:
    """What the solver's project would configure: the fork schema its nets need, if any."""
    path = CORPUS / row["path"]
    cfg = Config()
    doc = parse(path.read_text(encoding="utf-8"))
    for f in doc.root.fields:
        if f.name in ("net", "train_net", "test_net") and hasattr(f.value, "string_value"):
            found, _ = resolve(f.value.string_value, search_bases(path, cfg))
            if found is not None:
                rel = found.resolve().relative_to(CORPUS.resolve()).as_posix()
                schema = schema_of.get(rel, "bundled")
                if schema not in ("bundled", row["schema"]):
                    return Config(proto=CORPUS / schema)
    return cfg


@pytest.mark.corpus
def test_corpus_solvers_have_no_errors_caffe_would_not_raise(capsys):
    rows = _corpus_rows()
    if not rows:
        pytest.skip("../shared/corpus is not available")
    schema_of = {r["path"]: r["schema"] for r in rows}
    store = SchemaStore()
    fired: Counter[str] = Counter()
    unexpected, refused = [], {}
    solvers = {r["path"]: r for r in rows if r["kind"] == "solver"}
    for path, row in sorted(solvers.items()):
        file = CORPUS / path
        proto = None if row["schema"] == "bundled" else CORPUS / row["schema"]
        result = check_bytes(file.read_bytes(), file, _project_config(row, schema_of), proto=proto, store=store)
        fired.update(d.code for d in result.diagnostics if d.code.startswith("R"))
        errs = [d for d in result.diagnostics if d.severity == Severity.ERROR]
        if row["expect"] == "invalid":
            assert errs, path
        elif path in NET_REFUSED:
            refused[path] = [d.code for d in errs]
        elif errs:
            unexpected.append((path, [(d.code, d.range.start.line + 1, d.message[:120]) for d in errs]))
    assert not unexpected, unexpected
    assert refused == {p: ["R718"] for p in NET_REFUSED}, refused
    with capsys.disabled():
        print(f"\nsolver rules on {len(solvers)} corpus solvers: "
              + ", ".join(f"{c}={n}" for c, n in sorted(fired.items())))


def test_r718_reads_the_net_with_the_solvers_fork_schema(project):
    fork = project.root / "fork.proto"
    text = BUNDLED_PROTO.read_text(encoding="utf-8")
    anchor = "message InnerProductParameter {"
    assert anchor in text
    fork.write_text(text.replace(anchor, anchor + "\n  optional bool fancy = 999;", 1), encoding="utf-8")
    (project.models / "train_val.prototxt").write_text(NET.replace("num_output: 3", "num_output: 3 fancy: true"))
    assert "R718" in rcodes(project.lint(GOOD))  # BVLC's schema has no `fancy`
    assert rcodes(project.lint("# proto-file: ../fork.proto\n" + GOOD)) == []
