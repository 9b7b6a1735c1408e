"""The catalog: every torch lr scheduler and optimizer schedlab knows, in one registry.

Parsing binds pasted arguments with these descriptions, validation checks values against
their ranges, the explorer builds its widgets from them, and the tests walk every entry.
Names and defaults are torch's own (a test compares them with torch's signatures).
"""

from __future__ import annotations

from dataclasses import dataclass

from schedlab.spec.params import Param

FAMILIES = ("decay", "warmup/composite", "cyclic", "adaptive")


@dataclass(frozen=True)
class SchedulerInfo:
    name: str
    family: str
    summary: str
    params: tuple[Param, ...]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def composite(self) -> bool:
        return any(p.kind == "schedulers" for p in self.params)


_OPT = Param("optimizer", "optimizer", "the wrapped optimizer", widget=False)
_LAST = Param("last_epoch", "int", "only -1 (a fresh run) is drawn; other values resume a "
              "checkpoint", default=-1, low=-1, high=-1, widget=False)
_GAMMA = dict(low=0, low_open=True)
_LAMBDA_HELP = ("function of the epoch (or a list, one per param group); numbers, "
                "arithmetic, comparisons, if/else and math functions only")


def _s(name: str, family: str, summary: str, *params: Param, opt: bool = True,
       last: bool = True) -> SchedulerInfo:
    ps = ((_OPT,) if opt else ()) + params + ((_LAST,) if last else ())
    return SchedulerInfo(name, family, summary, ps)


SCHEDULERS: dict[str, SchedulerInfo] = {s.name: s for s in (
    _s("StepLR", "decay", "Multiply the lr by gamma every step_size steps.",
       Param("step_size", "int", "steps between two decays", example=30, low=1),
       Param("gamma", "float", "factor applied at each decay", default=0.1, **_GAMMA)),
    _s("MultiStepLR", "decay", "Multiply the lr by gamma at each milestone.",
       Param("milestones", "int_list", "steps at which the lr is multiplied by gamma",
             example=(30, 80), low=0),
       Param("gamma", "float", "factor applied at each milestone", default=0.1, **_GAMMA)),
    _s("ExponentialLR", "decay", "Multiply the lr by gamma at every step.",
       Param("gamma", "float", "factor applied at every step", example=0.95, **_GAMMA)),
    _s("PolynomialLR", "decay", "Decay the lr to zero along (1 - t/total_iters)**power.",
       Param("total_iters", "int", "steps until the lr reaches zero", default=5, low=0),
       Param("power", "float", "power of the polynomial (1 is linear)", default=1.0, low=0)),
    _s("CosineAnnealingLR", "decay", "Follow a half cosine from the base lr down to eta_min "
       "over T_max steps (and back up after that).",
       Param("T_max", "int", "steps of the half cosine", example=100, low=1),
       Param("eta_min", "float", "lowest lr", default=0.0, low=0)),
    _s("LambdaLR", "decay", "Set the lr to base lr times a function of the step.",
       Param("lr_lambda", "lambda", _LAMBDA_HELP, example="lambda epoch: 0.95 ** epoch",
             per_group=True)),
    _s("MultiplicativeLR", "decay", "Multiply the lr by a function of the step, every step.",
       Param("lr_lambda", "lambda", _LAMBDA_HELP, example="lambda epoch: 0.95",
             per_group=True)),
    _s("ConstantLR", "warmup/composite", "Hold the lr at factor times the base lr for "
       "total_iters steps, then restore it.",
       Param("factor", "float", "multiplier during the first total_iters steps",
             default=1.0 / 3, low=0, high=1),
       Param("total_iters", "int", "steps the factor applies", default=5, low=0)),
    _s("LinearLR", "warmup/composite", "Change the lr linearly from start_factor to "
       "end_factor times the base lr over total_iters steps.",
       Param("start_factor", "float", "multiplier at the first step", default=1.0 / 3,
             low=0, high=1, low_open=True),
       Param("end_factor", "float", "multiplier after total_iters steps", default=1.0,
             low=0, high=1),
       Param("total_iters", "int", "steps of the linear change", default=5, low=0)),
    _s("SequentialLR", "warmup/composite", "Run schedulers one after another, switching at "
       "the milestones.",
       Param("schedulers", "schedulers", "the phases, in order", widget=False),
       Param("milestones", "int_list", "steps at which the next scheduler takes over "
             "(one fewer than schedulers)", low=0, widget=False)),
    _s("ChainedScheduler", "warmup/composite", "Step several schedulers together; their "
       "effects on the lr multiply.",
       Param("schedulers", "schedulers", "the schedulers applied at every step", widget=False),
       Param("optimizer", "optimizer", "the wrapped optimizer (optional)", default=None,
             widget=False), opt=False, last=False),
    _s("CyclicLR", "cyclic", "Cycle the lr between base_lr and max_lr (and momentum the "
       "opposite way).",
       Param("base_lr", "float", "lowest lr of the cycle", example=0.001, low=0,
             per_group=True),
       Param("max_lr", "float", "highest lr of the cycle", example=0.1, low=0, per_group=True),
       Param("step_size_up", "float", "steps from base_lr up to max_lr", default=2000, low=1),
       Param("step_size_down", "float", "steps back down (None: same as up)", default=None,
             example=None, low=0, optional=True),
       Param("mode", "choice", "triangular: fixed height; triangular2: halve each cycle; "
             "exp_range: scale by gamma**step", default="triangular",
             choices=("triangular", "triangular2", "exp_range")),
       Param("gamma", "float", "decay of exp_range mode", default=1.0, **_GAMMA),
       Param("scale_fn", "lambda", "custom scaling of the cycle height (replaces mode)",
             default=None, optional=True),
       Param("scale_mode", "choice", "what scale_fn receives: the cycle number or the step",
             default="cycle", choices=("cycle", "iterations")),
       Param("cycle_momentum", "bool", "cycle momentum inversely to the lr", default=True),
       Param("base_momentum", "float", "lowest momentum", default=0.8, low=0, high=1,
             per_group=True),
       Param("max_momentum", "float", "highest momentum", default=0.9, low=0, high=1,
             per_group=True)),
    _s("OneCycleLR", "cyclic", "Warm up to max_lr, then anneal far below the start, over "
       "total_steps (the 1cycle policy).",
       Param("max_lr", "float", "peak lr", example=0.1, low=0, low_open=True, per_group=True),
       Param("total_steps", "int", "steps of the whole cycle (or give epochs and "
             "steps_per_epoch)", default=None, example=1000, low=1, optional=True),
       Param("epochs", "int", "epochs, when total_steps is not given", default=None, low=1,
             optional=True),
       Param("steps_per_epoch", "int", "steps per epoch, when total_steps is not given",
             default=None, low=1, optional=True),
       Param("pct_start", "float", "share of the cycle spent warming up", default=0.3,
             low=0, high=1),
       Param("anneal_strategy", "choice", "shape of the warm-up and the anneal",
             default="cos", choices=("cos", "linear")),
       Param("cycle_momentum", "bool", "cycle momentum inversely to the lr", default=True),
       Param("base_momentum", "float", "momentum at the peak lr", default=0.85, low=0,
             high=1, per_group=True),
       Param("max_momentum", "float", "momentum at the start and end", default=0.95, low=0,
             high=1, per_group=True),
       Param("div_factor", "float", "initial lr = max_lr / div_factor", default=25.0,
             low=0, low_open=True),
       Param("final_div_factor", "float", "final lr = initial lr / final_div_factor",
             default=1e4, low=0, low_open=True),
       Param("three_phase", "bool", "anneal back to the initial lr before the final "
             "descent", default=False)),
    _s("CosineAnnealingWarmRestarts", "cyclic", "Cosine from the base lr to eta_min, "
       "restarting every T_0 steps (each cycle T_mult times longer).",
       Param("T_0", "int", "steps of the first cycle", example=10, low=1),
       Param("T_mult", "int", "growth of each cycle's length", default=1, low=1),
       Param("eta_min", "float", "lowest lr", default=0.0, low=0)),
    _s("ReduceLROnPlateau", "adaptive", "Multiply the lr by factor when the metric stops "
       "improving for patience steps.",
       Param("mode", "choice", "min: lower metric is better; max: higher is better",
             default="min", choices=("min", "max")),
       Param("factor", "float", "multiplier at each reduction", default=0.1, low=0,
             high=1, high_open=True),
       Param("patience", "int", "steps without improvement before a reduction", default=10,
             low=0),
       Param("threshold", "float", "smallest change that counts as an improvement",
             default=1e-4, low=0),
       Param("threshold_mode", "choice", "rel: relative to the best value; abs: absolute",
             default="rel", choices=("rel", "abs")),
       Param("cooldown", "int", "steps to wait after a reduction", default=0, low=0),
       Param("min_lr", "float", "lowest lr", default=0, low=0, per_group=True),
       Param("eps", "float", "smaller lr changes are ignored", default=1e-8, low=0),
       last=False),
)}


@dataclass(frozen=True)
class OptimizerInfo:
    name: str
    momentum: str | None  # "momentum", "betas" (beta1 plays momentum) or None
    summary: str
    cannot_train: str | None = None  # why the MNIST training loop cannot drive it, if it can't


OPTIMIZERS: dict[str, OptimizerInfo] = {o.name: o for o in (
    OptimizerInfo("SGD", "momentum", "stochastic gradient descent, optional momentum"),
    OptimizerInfo("Adam", "betas", "adaptive moments"),
    OptimizerInfo("AdamW", "betas", "Adam with decoupled weight decay"),
    OptimizerInfo("RMSprop", "momentum", "running average of squared gradients"),
    OptimizerInfo("Adagrad", None, "per-parameter accumulated gradients"),
    OptimizerInfo("Adadelta", None, "Adagrad without a global lr decay"),
    OptimizerInfo("Adamax", "betas", "Adam with the infinity norm"),
    OptimizerInfo("NAdam", "betas", "Adam with Nesterov momentum"),
    OptimizerInfo("RAdam", "betas", "rectified Adam"),
    OptimizerInfo("ASGD", None, "averaged SGD"),
    OptimizerInfo("Rprop", None, "resilient backpropagation"),
    OptimizerInfo("LBFGS", None, "quasi-Newton (needs a closure in training)",
                  "its step() needs a closure that recomputes the loss, and the training "
                  "loop calls step() without one; train with SGD, Adam or another optimizer"),
    OptimizerInfo("SparseAdam", "betas", "Adam for sparse gradients",
                  "it needs sparse gradients (nn.Embedding(sparse=True)) and both models "
                  "here have dense ones, which torch refuses; train with Adam instead"),
    OptimizerInfo("Adafactor", None, "memory-saving factored second moments"),
    OptimizerInfo("Muon", "momentum", "orthogonalized momentum for 2-D weights",
                  "it only takes 2-D weight matrices, and both models here also have biases "
                  "(the CNN 4-D convolution kernels too); train with SGD or AdamW instead"),
)}

# Optimizer options (of any optimizer) that the training loop cannot honour when true.
UNTRAINABLE_OPTIONS = {
    "differentiable": "it makes step() part of the autograd graph, which the training loop "
                      "does not support; leave it out",
    "capturable": "it is for CUDA graph capture, which the training loop does not use (and "
                  "it fails on the CPU); leave it out",
}

# Parameters whose canonical spelling in code is a tuple rather than a list.
TUPLE_PARAMS = frozenset({"betas", "etas", "step_sizes", "eps", "ns_coefficients"})

