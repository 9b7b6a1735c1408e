"""The optimizers schedlab knows: what plays momentum, and what the training loop cannot drive."""

from __future__ import annotations

from dataclasses import dataclass


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

