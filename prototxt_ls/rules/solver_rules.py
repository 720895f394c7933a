"""Solver checks (R7xx), and linting the net a solver names.

Entry point called by analysis/check.py for every SolverParameter file.  This
module holds the checks of the solver's own settings (the learning-rate
schedule, the optimiser type, the train/test net counts); the files it names
(nets, the snapshot folder) and the nets it trains are checked in
:mod:`.solver_files`.

What Caffe does is the reference (BVLC master): ``SGDSolver::GetLearningRate``
(sgd_solver.cpp), ``UpgradeSolverType`` (upgrade_proto.cpp), the solver
registry, the constructors' sanity checks (sgd_solvers.hpp) and
``Solver::Init`` / ``InitTrainNet`` / ``InitTestNets`` (solver.cpp).  What Caffe
refuses is an error; a run that goes silently wrong is a warning.

Thresholds are read from ``config.options`` (a mapping), when the
configuration carries one, else these defaults:

=========================  =======  ============================================
option                     default  meaning
=========================  =======  ============================================
solver-sgd-max-lr          0.1      R711: base_lr above this for SGD, Nesterov
solver-adaptive-max-lr     0.01     R711: ... for AdaGrad, RMSProp
solver-adadelta-max-lr     1.0      R711: ... for AdaDelta
solver-adam-max-lr         0.01     R710: ... for Adam
solver-search-depth        5        R715/R716/R718: folders above the solver
                                    searched for relative paths when there is
                                    no workspace root
=========================  =======  ============================================
"""

from __future__ import annotations

import difflib

from ..analysis.report import Sink, replace_fix
from ..config import Config
from ..diagnostics import Fix, Severity, TextEdit
from ..layers.params import Params
from ..positions import Range
from ..schema.loader import bundled_schema
from ..schema.model import Schema
from ..syntax.tree import Document, Field, Scalar

#: Thresholds and their defaults (see the module docstring).
DEFAULTS: dict[str, float] = {
    "solver-sgd-max-lr": 0.1,
    "solver-adaptive-max-lr": 0.01,
    "solver-adadelta-max-lr": 1.0,
    "solver-adam-max-lr": 0.01,
    "solver-search-depth": 5,
}

#: lr_policy values SGDSolver::GetLearningRate knows.
LR_POLICIES = ("fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid")
#: Solver types BVLC registers (REGISTER_SOLVER_CLASS), and the old enum's upgrade.
SOLVER_TYPES = ("SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam")
ENUM_TO_TYPE = {"SGD": "SGD", "NESTEROV": "Nesterov", "ADAGRAD": "AdaGrad", "RMSPROP": "RMSProp",
                "ADADELTA": "AdaDelta", "ADAM": "Adam"}
#: Policies whose GetLearningRate branch CHECKs gamma >= 0.
_GAMMA_CHECKED = ("step", "exp", "inv", "multistep", "sigmoid")
_BAD = object()  # a value the schema checker already reported as unreadable


def option(config: Config | None, key: str) -> float:
    """A threshold from ``config.options`` when present and numeric, else its default."""
    table = getattr(config, "options", None)
    if isinstance(table, dict):
        value = table.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return DEFAULTS[key]


def run_solver_rules(doc: Document, schema: Schema, sink: Sink, path, config: Config) -> None:
    """Run every solver rule."""
    mdef = schema.message("SolverParameter")
    if mdef is None or not doc.root.fields:
        return
    s = _Solver(doc, Params(doc.root, mdef, schema), schema, sink, config)
    s.run()
    from .solver_files import check_files

    check_files(doc, s.p, schema, sink, path, config)


class _Solver:
    def __init__(self, doc: Document, p: Params, schema: Schema, sink: Sink, config: Config) -> None:
        self.doc = doc
        self.p = p
        self.sink = sink
        self.config = config
        self.fork = schema is not bundled_schema()
        # Caffe stops at a parse error before looking at any setting: "X is missing" findings
        # on a half-written file would only be noise.
        self.refused_early = any(d.severity == Severity.ERROR and d.code[0] in "SF" for d in sink.items)

    def run(self) -> None:
        self.check_type()
        self.check_schedule()
        self.check_nets()
        if self.value("debug_info") is True:
            f = self.p.field("debug_info")
            self.sink.add("R717", f.value.range,
                          "debug_info is on: on every display iteration Caffe logs statistics of every blob "
                          "of every layer, which slows training and floods the log; turn it off once done",
                          [replace_fix("Set debug_info: false", f.value.range, "false", safe=False)])

    # ------------------------------------------------------------------ helpers
    def value(self, name: str, default=None):
        """The value written (last wins), ``default`` when absent, ``_BAD`` when unreadable."""
        if not self.p.has(name):
            return default
        v = self.p.get(name, _BAD)
        return _BAD if v is None else v

    def number(self, name: str):
        """The value as Caffe sees it (written or schema default), or None when unreadable."""
        v = self.value(name, self.p.get(name))
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def last_range(self, name: str) -> Range:
        f = self.p.fields(name)[-1]
        return f.value.range

    def anchor(self, *names: str) -> Range:
        """The first of ``names`` written (its value), else the file's first field."""
        for n in names:
            if self.p.has(n):
                return self.last_range(n)
        return self.doc.root.fields[0].name_range

    # ------------------------------------------------------------------ type (R706-R711)
    def solver_type(self) -> str:
        t = self.value("type")
        if isinstance(t, str):
            return t
        st = self.value("solver_type")
        if isinstance(st, str):
            return ENUM_TO_TYPE.get(st, st)
        return "SGD"

    def check_type(self) -> None:
        p = self.p
        if p.has("solver_type"):
            st_field = p.fields("solver_type")[-1]
            if p.has("type"):
                self.sink.add("R706", st_field.name_range,
                              "both `type` and the deprecated `solver_type` are set: Caffe refuses the file "
                              "(\"old solver_type field (enum) and new type field (string) cannot be both "
                              "specified\"); keep `type`",
                              [Fix("Remove solver_type",
                                   tuple(_delete_field(self.doc, f) for f in p.fields("solver_type")), safe=False)],
                              related=[(p.fields("type")[-1].name_range, "the `type` field")])
            else:
                st = self.value("solver_type")
                new = ENUM_TO_TYPE.get(st) if isinstance(st, str) else None
                if new is not None and len(p.fields("solver_type")) == 1:
                    self.sink.add("R707", st_field.name_range,
                                  f"`solver_type: {st}` is deprecated: Caffe upgrades it to `type: \"{new}\"`, "
                                  "and future releases only read `type`",
                                  [replace_fix(f'Use type: "{new}"', st_field.range, f'type: "{new}"')])
        t = self.value("type")
        if isinstance(t, str) and t not in SOLVER_TYPES:
            rng = self.last_range("type")
            lowered = {k.lower(): k for k in SOLVER_TYPES}
            close = lowered.get(t.lower()) or next(iter(difflib.get_close_matches(t, SOLVER_TYPES, 1, 0.6)), None)
            hint = f"; did you mean '{close}'?" if close else ""
            fixes = [replace_fix(f"Use type '{close}'", rng, f'"{close}"', safe=False)] if close else None
            d = self.sink.add("R708", rng, f"Unknown solver type: {t} (BVLC Caffe knows "
                              f"{', '.join(sorted(SOLVER_TYPES))}){hint}", fixes)
            if self.fork:
                d.severity = Severity.WARNING
                d.message += "; a fork may register it, but BVLC Caffe refuses it"
        kind = self.solver_type()
        self.check_type_settings(kind)
        self.check_learning_rate(kind)

    def check_type_settings(self, kind: str) -> None:
        momentum = self.value("momentum")
        if kind in ("AdaGrad", "RMSProp") and isinstance(momentum, float) and momentum != 0:
            self.sink.add("R709", self.last_range("momentum"),
                          f"Momentum cannot be used with {kind}: Caffe aborts while creating the solver; "
                          "remove momentum (or set it to 0)")
        rms = self.value("rms_decay")
        if kind == "RMSProp" and isinstance(rms, float) and not 0 <= rms < 1:
            self.sink.add("R709", self.last_range("rms_decay"),
                          f"rms_decay {_fmt(rms)} is outside [0, 1): Caffe aborts (\"rms_decay should lie "
                          "between 0 and 1.\")")
        avg = self.value("average_loss")
        if isinstance(avg, int) and avg < 1:
            self.sink.add("R709", self.last_range("average_loss"),
                          f"average_loss {avg} is below 1: Caffe aborts (\"average_loss should be non-negative.\")")
        reg = self.value("regularization_type")
        decay = self.number("weight_decay")
        if isinstance(reg, str) and reg not in ("L1", "L2") and decay:
            self.sink.add("R709", self.last_range("regularization_type"),
                          f"Unknown regularization type: {reg}: Caffe aborts at the first update "
                          "(use \"L2\" or \"L1\")")
        if kind == "Adam":
            self.check_adam(momentum)

    def check_adam(self, momentum) -> None:
        if momentum is None or momentum == 0:
            where = self.last_range("momentum") if momentum is not None else self.anchor("type", "solver_type")
            what = "is 0" if momentum is not None else "is not set (Caffe's default is 0)"
            self.sink.add("R710", where,
                          f"Adam reads beta1 from momentum, which {what}: Adam then keeps no first moment; "
                          "set momentum: 0.9 (and momentum2: 0.999)")
        for name, beta in (("momentum", momentum), ("momentum2", self.value("momentum2"))):
            if isinstance(beta, float) and not 0 <= beta < 1:
                self.sink.add("R710", self.last_range(name),
                              f"{name} {_fmt(beta)} is Adam's beta{1 if name == 'momentum' else 2} and must lie in "
                              "[0, 1): Adam's bias correction divides by 1 - beta^t")
        lr = self.value("base_lr")
        limit = option(self.config, "solver-adam-max-lr")
        if isinstance(lr, float) and lr > limit:
            self.sink.add("R710", self.last_range("base_lr"),
                          f"base_lr {_fmt(lr)} is high for Adam (above {_fmt(limit)}): Adam's step is base_lr "
                          "itself and 0.001 is the usual value; larger steps tend to diverge")

    def check_learning_rate(self, kind: str) -> None:
        lr = self.value("base_lr")
        clip = self.number("clip_gradients")
        if not isinstance(lr, float) or kind == "Adam" or (clip is not None and clip >= 0):
            return
        key = {"SGD": "solver-sgd-max-lr", "Nesterov": "solver-sgd-max-lr", "AdaGrad": "solver-adaptive-max-lr",
               "RMSProp": "solver-adaptive-max-lr", "AdaDelta": "solver-adadelta-max-lr"}.get(kind)
        if key is None:
            return
        limit = option(self.config, key)
        if lr > limit:
            self.sink.add("R711", self.last_range("base_lr"),
                          f"base_lr {_fmt(lr)} is high for {kind} (above {_fmt(limit)}) and clip_gradients is not "
                          "set: if the loss turns nan, lower base_lr or set clip_gradients. To find the layer that "
                          "explodes, run a few iterations with debug_info: true and display: 1; Caffe then logs "
                          "every blob's mean |data| and |diff| ([Forward]/[Backward] lines): the first layer whose "
                          "values grow huge or turn nan is the culprit")

    # ------------------------------------------------------------------ schedule (R701-R705)
    def check_schedule(self) -> None:
        policy = self.value("lr_policy")
        if policy is None:
            if not self.refused_early:
                self.sink.add("R701", self.anchor("base_lr"),
                              "lr_policy is not set: Caffe stops at the first iteration (\"Unknown learning rate "
                              "policy: \"); use \"fixed\" for a constant learning rate")
            return
        if policy is _BAD or not isinstance(policy, str):
            return
        prng = self.last_range("lr_policy")
        if policy not in LR_POLICIES:
            lowered = {k.lower(): k for k in LR_POLICIES}
            close = lowered.get(policy.lower()) or next(iter(difflib.get_close_matches(policy, LR_POLICIES, 1, 0.6)),
                                                        None)
            hint = f"; did you mean '{close}'?" if close else f" (Caffe knows {', '.join(LR_POLICIES)})"
            fixes = [replace_fix(f"Use lr_policy '{close}'", prng, f'"{close}"', safe=False)] if close else None
            d = self.sink.add("R701", prng, f"Unknown learning rate policy: {policy}{hint}", fixes)
            if self.fork:
                d.severity = Severity.WARNING
                d.message += "; a fork may define it, but BVLC Caffe stops at the first iteration"
            return
        self.check_policy(policy, prng)

    def check_policy(self, policy: str, prng: Range) -> None:
        gamma, stepsize = self.number("gamma"), self.number("stepsize")
        power, max_iter = self.number("power"), self.number("max_iter")
        if policy in ("step", "sigmoid") and stepsize is not None and stepsize <= 0:
            where = self.last_range("stepsize") if self.p.has("stepsize") else prng
            said = f"stepsize is {stepsize}" if self.p.has("stepsize") else "stepsize is not set (0)"
            self.sink.add("R702", where, f"lr_policy \"{policy}\" needs a positive stepsize and {said}: Caffe aborts "
                          "at the first iteration (Check failed: stepsize() > 0)")
        if policy in _GAMMA_CHECKED and gamma is not None and gamma < 0:
            self.sink.add("R702", self.last_range("gamma"), f"gamma {_fmt(gamma)} is negative: Caffe aborts at the "
                          "first iteration (Check failed: gamma() >= 0)")
        self.check_missing(policy, prng, gamma, power, max_iter)
        if policy == "multistep":
            self.check_stepvalues(gamma, max_iter)
        elif policy in ("step", "sigmoid") and max_iter and stepsize and stepsize >= max_iter and gamma != 1:
            effect = "the learning rate never drops" if policy == "step" else \
                "the learning rate never passes half of base_lr"
            self.sink.add("R705", self.last_range("stepsize"), f"stepsize {stepsize} is not below max_iter {max_iter}: "
                          f"{effect} (lr_policy \"{policy}\")")

    def check_missing(self, policy: str, prng: Range, gamma, power, max_iter) -> None:
        def said(name: str, value) -> str:
            return f"{name} is {_fmt(value)}" if self.p.has(name) else f"{name} is not set (0)"

        needs: list[str] = []
        if gamma == 0:
            effect = {"step": "the learning rate drops to 0 at the first step",
                      "multistep": "the learning rate drops to 0 at the first stepvalue",
                      "exp": "the learning rate is 0 from the second iteration on",
                      "inv": "(1 + 0·iter)^-power = 1: the learning rate never decays",
                      "sigmoid": "the learning rate stays at half of base_lr"}.get(policy)
            if effect:
                needs.append(f"{said('gamma', gamma)}: {effect}")
        if policy in ("inv", "poly") and power == 0:
            needs.append(f"{said('power', power)}: the decay is raised to the power 0, so the learning rate "
                         "never changes")
        if policy == "poly" and max_iter == 0:
            needs.append(f"{said('max_iter', max_iter)}: poly decays to 0 at max_iter, and nothing trains")
        if policy == "multistep" and not self.p.has("stepvalue"):
            needs.append("no stepvalue is given: the learning rate never changes (use \"fixed\", or list the "
                         "iterations to drop at)")
        for text in needs:
            self.sink.add("R703", prng, f"lr_policy \"{policy}\": {text}")

    def check_stepvalues(self, gamma, max_iter) -> None:
        prev = None
        for f in self.p.fields("stepvalue"):
            for v in f.values():
                n = v.number_value if isinstance(v, Scalar) else None
                if not isinstance(n, int):
                    continue
                if prev is not None and n <= prev:
                    self.sink.add("R704", v.range, f"stepvalue {n} is not above the previous one ({prev}): Caffe "
                                  f"takes stepvalues in order, so this drop happens right after iteration {prev}, "
                                  f"not at {n}")
                if max_iter and n >= max_iter and gamma != 1:
                    self.sink.add("R705", v.range, f"stepvalue {n} is not below max_iter {max_iter}: this "
                                  "learning-rate drop never happens")
                prev = n if prev is None else max(prev, n)

    # ------------------------------------------------------------------ nets (R712-R714)
    def check_nets(self) -> None:
        p = self.p
        train_fields = [f for n in ("net", "net_param", "train_net", "train_net_param") for f in p.fields(n)]
        if not train_fields:
            if not self.refused_early:
                self.sink.add("R714", self.doc.root.fields[0].name_range,
                              "the solver names no train net: Caffe aborts (\"SolverParameter must specify a train "
                              "net using one of these fields: net, net_param, train_net, train_net_param\")")
        elif len(train_fields) > 1:
            first = min(train_fields, key=lambda f: f.name_range.start.offset)
            for f in sorted(train_fields, key=lambda f: f.name_range.start.offset)[1:]:
                self.sink.add("R714", f.name_range,
                              f"`{f.name}` is a second train net besides `{first.name}`: Caffe aborts (\"must not "
                              "contain more than one of these fields specifying a train_net: net, net_param, "
                              "train_net, train_net_param\")", related=[(first.name_range, "the first train net")])
        generic = p.has("net") or p.has("net_param")
        test_nets = sorted(p.fields("test_net_param") + _value_fields(p.fields("test_net")),
                           key=lambda f: f.name_range.start.offset)
        iters = [(f, v) for f in p.fields("test_iter") for v in f.values()]
        n_nets, n_iter = len(test_nets), len(iters)
        if generic and n_iter < n_nets or not generic and n_iter != n_nets:
            if n_iter < n_nets:
                where = test_nets[n_iter].name_range
                msg = (f"{n_nets} test net(s) but {n_iter} test_iter value(s): Caffe aborts (\"test_iter must be "
                       "specified for each test network\"); add a test_iter for this one")
            else:
                where = iters[n_nets][1].range
                msg = (f"{n_iter} test_iter value(s) but {n_nets} test net(s) and no `net`/`net_param` to test: "
                       "Caffe aborts (\"test_iter must be specified for each test network\"); add a test_net "
                       "or remove this test_iter")
            self.sink.add("R712", where, msg)
            return
        instances = n_iter if generic else n_nets
        states = p.fields("test_state")
        if states and len(states) != instances:
            where = states[instances].name_range if len(states) > instances else states[-1].name_range
            self.sink.add("R712", where, f"{len(states)} test_state block(s) for {instances} test net(s): Caffe "
                          "aborts (\"test_state must be unspecified or specified once per test net\")")
        interval = self.number("test_interval")
        if instances and interval is not None and interval <= 0:
            where = self.last_range("test_interval") if p.has("test_interval") else iters[0][0].name_range
            said = f"test_interval is {interval}" if p.has("test_interval") else "test_interval is not set (0)"
            self.sink.add("R713", where, f"the solver has {instances} test net(s) but {said}: Caffe aborts (Check "
                          "failed: test_interval() > 0); set test_interval, or drop test_iter to train without "
                          "testing")


def _value_fields(fields: list[Field]) -> list[Field]:
    """One entry per value (a list value ``[a, b]`` names several files)."""
    return [f for f in fields for _ in f.values()]


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _delete_field(doc: Document, f: Field) -> TextEdit:
    """An edit removing ``f``, with its line when nothing else is on it."""
    rng = f.range
    text = doc.text
    start, end = rng.start.offset, rng.end.offset
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        return TextEdit(doc.lines.range(line_start, min(line_end + 1, len(text))), "")
    return TextEdit(rng, "")
