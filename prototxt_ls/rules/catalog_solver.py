"""Rules of the solver family (documentation and defaults; the checks live in rules/solver_rules.py).

R701-R718 check a SolverParameter file the way Caffe reads it: the learning-rate
schedule (sgd_solver.cpp GetLearningRate), the optimiser type (solver_factory,
UpgradeSolverType, the sanity checks of sgd_solvers.hpp), the train and test
nets (Solver::InitTrainNet / InitTestNets), the files it names, and the net it
trains, linted per phase.  Only what Caffe itself refuses is an error; the rest
are warnings (the run goes wrong) or information.

Every example is a whole solver, so the registry test can lint it as text.
Relative paths in the examples resolve against the folder the test runs in.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import Rule, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_NET = 'net: "train_val.prototxt"\n'
_SGD = _NET + 'base_lr: 0.01\nmomentum: 0.9\nmax_iter: 10000\n'
_STEP = 'lr_policy: "step"\ngamma: 0.1\nstepsize: 4000\n'
_FIXED = 'lr_policy: "fixed"\n'
_ADAM = _NET + 'type: "Adam"\nbase_lr: 0.001\nmomentum: 0.9\nmomentum2: 0.999\nlr_policy: "fixed"\nmax_iter: 10000\n'
_TINY_NET = ('net_param {\n  name: "tiny"\n'
             '  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }\n'
             '  layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 1 } } }\n'
             '  layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"\n'
             '          inner_product_param { num_output: 2 } }\n'
             '  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }\n}\n')
_TINY_SETTINGS = 'base_lr: 0.01\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n'

UNKNOWN_LR_POLICY = register(Rule(
    "R701", "unknown-lr-policy", E,
    "Reports a solver whose lr_policy is missing or is not one Caffe knows (fixed, step, exp, inv, "
    "multistep, poly, sigmoid), with the closest policy as a suggestion.",
    "lr_policy has no default: SGDSolver::GetLearningRate stops the run at the first iteration with "
    "\"Unknown learning rate policy: X\". Policies are case-sensitive (\"step\", not \"Step\"). Under a "
    "fork's caffe.proto an unknown policy is only a warning, since a fork may add policies.",
    _SGD + 'lr_policy: "Step"\ngamma: 0.1\nstepsize: 4000\n',
    _SGD + _STEP, "solver"))
INVALID_LR_SCHEDULE = register(Rule(
    "R702", "invalid-lr-schedule", E,
    "Reports schedule values that Caffe's GetLearningRate CHECKs: a step or sigmoid policy whose "
    "stepsize is missing or not positive, a negative gamma.",
    "Caffe aborts at the first iteration (Check failed: stepsize() > 0, or gamma() >= 0). stepsize "
    "defaults to 0, so `lr_policy: \"step\"` without it always fails (Caffe versions older than these "
    "checks die of a division by zero instead; a negative gamma there flips the sign of the update).",
    _SGD + 'lr_policy: "step"\ngamma: 0.1\n',
    _SGD + _STEP, "solver"))
LR_POLICY_MISSING_PARAMETER = register(Rule(
    "R703", "lr-policy-missing-parameter", W,
    "Reports a learning-rate policy without a parameter it needs: step and multistep need gamma "
    "(multistep also stepvalue), exp needs gamma, inv needs gamma and power, poly needs power and "
    "max_iter, sigmoid needs gamma.",
    "gamma, power and max_iter default to 0 and Caffe does not check them: the schedule silently "
    "degenerates (inv without power never decays, step without gamma drops the learning rate to 0 "
    "at the first step, exp without gamma trains only one iteration). The message says what the "
    "schedule becomes.",
    _SGD + 'lr_policy: "inv"\ngamma: 0.0001\n',
    _SGD + 'lr_policy: "inv"\ngamma: 0.0001\npower: 0.75\n', "solver"))
STEPVALUE_ORDER = register(Rule(
    "R704", "stepvalue-not-ascending", W,
    "Reports a multistep stepvalue that is not larger than the one before it.",
    "Caffe walks the stepvalue list in order and moves on only once the current one is reached, one "
    "step per iteration; it does not sort or check the list. A value out of order makes its drop happen "
    "one iteration after the previous drop instead of at the iteration written.",
    _SGD + 'lr_policy: "multistep"\ngamma: 0.1\nstepvalue: 8000\nstepvalue: 5000\n',
    _SGD + 'lr_policy: "multistep"\ngamma: 0.1\nstepvalue: 5000\nstepvalue: 8000\n', "solver"))
SCHEDULE_BEYOND_MAX_ITER = register(Rule(
    "R705", "schedule-beyond-max-iter", W,
    "Reports a stepsize (step, sigmoid) or a stepvalue (multistep) at or beyond max_iter.",
    "Training stops at max_iter, so that learning-rate drop never happens: usually max_iter was "
    "shortened and the schedule was not. Not reported when gamma is 1 (the schedule is constant on "
    "purpose) or max_iter is 0 (the solver is driven from Python or only tests).",
    _NET + 'base_lr: 0.01\nmomentum: 0.9\nmax_iter: 10000\nlr_policy: "step"\ngamma: 0.1\nstepsize: 50000\n',
    _NET + 'base_lr: 0.01\nmomentum: 0.9\nmax_iter: 10000\nlr_policy: "step"\ngamma: 0.1\nstepsize: 5000\n',
    "solver"))
TYPE_AND_SOLVER_TYPE = register(Rule(
    "R706", "type-and-solver-type", E,
    "Reports a solver that sets both `type` and the deprecated `solver_type` enum.",
    "Caffe refuses the file while upgrading it (UpgradeSolverType): \"old solver_type field (enum) and "
    "new type field (string) cannot be both specified in solver proto text\". Keep `type`.",
    _NET + 'type: "Adam"\nsolver_type: ADAM\nbase_lr: 0.001\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n',
    _NET + 'type: "Adam"\nbase_lr: 0.001\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n', "solver"))
LEGACY_SOLVER_TYPE = register(Rule(
    "R707", "legacy-solver-type", I,
    "Reports the deprecated `solver_type` enum (SGD, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM) and "
    "offers the `type` string Caffe upgrades it to.",
    "Caffe still upgrades it when reading the file, with a warning that future releases will only "
    "support `type`; pycaffe's and other tools' readers may not.",
    _SGD + _FIXED + 'solver_type: NESTEROV\n',
    _SGD + _FIXED + 'type: "Nesterov"\n', "solver"))
UNKNOWN_SOLVER_TYPE = register(Rule(
    "R708", "unknown-solver-type", E,
    "Reports a `type` that BVLC Caffe has no solver for (SGD, Nesterov, AdaGrad, RMSProp, AdaDelta, "
    "Adam), with the intended spelling when only the case differs.",
    "Caffe's SolverRegistry aborts: \"Unknown solver type: adam (known types: AdaDelta, AdaGrad, Adam, "
    "Nesterov, RMSProp, SGD)\". Types are case-sensitive. Under a fork's caffe.proto this is only a "
    "warning, since a fork may register more solvers.",
    _NET + 'type: "adam"\nbase_lr: 0.001\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n',
    _NET + 'type: "Adam"\nbase_lr: 0.001\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n', "solver"))
INVALID_SOLVER_SETTING = register(Rule(
    "R709", "invalid-solver-setting", E,
    "Reports settings a solver's constructor or update CHECKs: momentum with AdaGrad or RMSProp, "
    "rms_decay outside [0, 1), average_loss below 1, a regularization_type other than L1 or L2.",
    "Caffe aborts while creating the solver (\"Momentum cannot be used with AdaGrad.\", \"rms_decay "
    "should lie between 0 and 1.\", \"average_loss should be non-negative.\") or at the first update "
    "(\"Unknown regularization type\").",
    _NET + 'type: "AdaGrad"\nbase_lr: 0.01\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 100\n',
    _NET + 'type: "AdaGrad"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 100\n', "solver"))
ADAM_SETTINGS = register(Rule(
    "R710", "adam-settings", W,
    "Reports an Adam solver whose momentum (beta1) is unset or 0, whose momentum or momentum2 "
    "(beta2) is not below 1, or whose base_lr is above the Adam threshold (default 0.01; option "
    "`solver-adam-max-lr`).",
    "Caffe's Adam reads beta1 from `momentum`, which defaults to 0: without it Adam loses its first "
    "moment. A beta of 1 or more divides by zero in the bias correction. Adam's step is base_lr "
    "itself: the paper's 0.001 is the usual choice and much larger values tend to diverge. "
    "momentum2 defaults to 0.999 (the paper's value), so leaving it out is fine.",
    _NET + 'type: "Adam"\nbase_lr: 0.001\nlr_policy: "fixed"\nmax_iter: 10000\n',
    _ADAM, "solver"))
HIGH_LR = register(Rule(
    "R711", "high-lr-without-clipping", W,
    "Reports a base_lr above the usual range for the solver type while clip_gradients is off. "
    "Thresholds (options): `solver-sgd-max-lr` 0.1 (SGD, Nesterov), `solver-adaptive-max-lr` 0.01 "
    "(AdaGrad, RMSProp), `solver-adadelta-max-lr` 1.0 (AdaDelta); Adam is R710's.",
    "Too high a learning rate makes the loss explode to nan within a few iterations. Lower base_lr or "
    "set clip_gradients. To find the layer that explodes, run a few iterations with `debug_info: true` "
    "and `display: 1`: Caffe logs the mean absolute data and diff of every blob ([Forward], "
    "[Backward], [Update] lines); the first layer whose values grow huge or turn nan is the culprit.",
    _NET + 'base_lr: 0.5\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 10000\n',
    _NET + 'base_lr: 0.5\nclip_gradients: 10\nmomentum: 0.9\nlr_policy: "fixed"\nmax_iter: 10000\n', "solver"))
TEST_ITER_COUNT = register(Rule(
    "R712", "test-iter-count", E,
    "Reports test_iter and test_state counts that do not match the test nets: one test_iter per "
    "test_net / test_net_param (with `net`, extra test_iter values add test nets), and test_state "
    "either absent or one per test net.",
    "Caffe aborts in Solver::InitTestNets: \"test_iter must be specified for each test network\" or "
    "\"test_state must be unspecified or specified once per test net\". A test_iter with only a "
    "train_net (no test net at all) is the common case.",
    'train_net: "train.prototxt"\ntest_iter: 100\ntest_interval: 500\nbase_lr: 0.01\n' + _FIXED + 'max_iter: 100\n',
    'train_net: "train.prototxt"\ntest_net: "test.prototxt"\ntest_iter: 100\ntest_interval: 500\n'
    'base_lr: 0.01\n' + _FIXED + 'max_iter: 100\n', "solver"))
TEST_WITHOUT_INTERVAL = register(Rule(
    "R713", "test-without-interval", E,
    "Reports a solver with test nets (test_iter) but no positive test_interval.",
    "test_interval defaults to 0 and Caffe aborts in Solver::InitTestNets (Check failed: "
    "test_interval() > 0) as soon as there is a test net. To train without testing, drop test_iter "
    "(or test with a huge interval, as FCN's solvers do).",
    _NET + 'test_iter: 100\nbase_lr: 0.01\n' + _FIXED + 'max_iter: 10000\n',
    _NET + 'test_iter: 100\ntest_interval: 1000\nbase_lr: 0.01\n' + _FIXED + 'max_iter: 10000\n', "solver"))
TRAIN_NET_COUNT = register(Rule(
    "R714", "train-net-count", E,
    "Reports a solver with no train net, or with more than one of net, net_param, train_net, "
    "train_net_param.",
    "Caffe aborts in Solver::InitTrainNet: \"SolverParameter must specify a train net using one of "
    "these fields: net, net_param, train_net, train_net_param\" (or \"must not contain more than one\").",
    'base_lr: 0.01\nmomentum: 0.9\n' + _FIXED + 'max_iter: 10000\n',
    _NET + 'base_lr: 0.01\nmomentum: 0.9\n' + _FIXED + 'max_iter: 10000\n', "solver"))
NET_FILE_MISSING = register(Rule(
    "R715", "net-file-missing", W,
    "Reports a net, train_net or test_net file that exists neither next to the solver nor under the "
    "workspace root (nor, without one, in the folders above the solver), listing the paths tried.",
    "Caffe resolves the path from the folder it is started in and aborts (\"Failed to parse "
    "NetParameter file\") when it is not there. A warning, since that folder is only known at run "
    "time; Caffe's own solvers assume the Caffe root (examples/mnist/...).",
    'net: "no_such_folder/train_val.prototxt"\n' + _TINY_SETTINGS,
    '# (or a path that exists from the folder caffe runs in)\n' + _TINY_NET + _TINY_SETTINGS, "solver"))
SNAPSHOT_FOLDER_MISSING = register(Rule(
    "R716", "snapshot-folder-missing", W,
    "Reports a snapshot_prefix whose folder does not exist next to the solver nor under the "
    "workspace root (nor in the folders above the solver), listing the paths tried.",
    "Caffe writes snapshots to PREFIX_iter_N.caffemodel and does not create folders: with `snapshot` "
    "set it aborts before training (\"Cannot write to snapshot prefix\"); otherwise the final "
    "snapshot after training is lost. Create the folder (FCN's and SSD's solvers expect snapshot/).",
    _SGD + _FIXED + 'snapshot: 1000\nsnapshot_prefix: "no_such_folder/snapshots/lenet"\n',
    _SGD + _FIXED + 'snapshot: 1000\nsnapshot_prefix: "lenet"\n', "solver"))
DEBUG_INFO_ON = register(Rule(
    "R717", "debug-info-on", I,
    "Reports `debug_info: true` left on in a solver.",
    "On every display iteration Caffe then computes and logs statistics of every blob of every layer, "
    "forward and backward, for the train and test nets: training slows down and the log grows by "
    "thousands of lines. Useful to find an exploding layer; turn it off afterwards.",
    _SGD + _FIXED + 'debug_info: true\n',
    _SGD + _FIXED + 'debug_info: false\n', "solver"))
NET_HAS_ERRORS = register(Rule(
    "R718", "net-has-errors", E,
    "Reports, once per net on the field that names it, the errors of the net the solver trains or "
    "tests, checked for the phases (and train_state / test_state stages) the solver builds it in. "
    "Inline net_param / train_net_param / test_net_param nets list each error as related information.",
    "Caffe builds every net the solver names before the first iteration and aborts on the first "
    "error, so linting the solver alone finds them all. The message counts the errors and quotes the "
    "first; lint the net file itself for the full list.",
    'net_param {\n  name: "tiny"\n'
    '  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }\n'
    '  layer { name: "relu" type: "ReLU" bottom: "dat" top: "relu" }\n}\n' + _TINY_SETTINGS,
    _TINY_NET + _TINY_SETTINGS, "solver"))
