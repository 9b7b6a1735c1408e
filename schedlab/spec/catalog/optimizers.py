"""The optimizers schedlab knows: what plays momentum, and what the training loop cannot drive.

Their words (a summary; why the loop cannot drive one, or one of its options) are
``catalog.optimizer.<name>.*`` and ``catalog.option.<option>`` in the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from schedlab.messages import DEFAULT, Text


@dataclass(frozen=True)
class OptimizerInfo:
    name: str
    momentum: str | None  # "momentum", "betas" (beta1 plays momentum) or None
    trains: bool = True  # the MNIST training loop can drive it (if not, cannot_train says why)

    @property
    def summary_text(self) -> Text:
        """What it is, in a few words, to be said in any language."""
        return Text(f"catalog.optimizer.{self.name}.summary")

    @property
    def summary(self) -> str:
        """What it is, in English."""
        return self.summary_text.render()

    def summary_in(self, lang: str = DEFAULT) -> str:
        return self.summary_text.render(lang)

    @property
    def cannot_train_text(self) -> Text | None:
        """Why the training loop cannot drive it (None if it can), in any language."""
        return None if self.trains else Text(f"catalog.optimizer.{self.name}.cannot-train")

    @property
    def cannot_train(self) -> str | None:
        """Why the training loop cannot drive it, in English (None if it can)."""
        reason = self.cannot_train_text
        return None if reason is None else reason.render()

    def cannot_train_in(self, lang: str = DEFAULT) -> str | None:
        reason = self.cannot_train_text
        return None if reason is None else reason.render(lang)


OPTIMIZERS: dict[str, OptimizerInfo] = {o.name: o for o in (
    OptimizerInfo("SGD", "momentum"),
    OptimizerInfo("Adam", "betas"),
    OptimizerInfo("AdamW", "betas"),
    OptimizerInfo("RMSprop", "momentum"),
    OptimizerInfo("Adagrad", None),
    OptimizerInfo("Adadelta", None),
    OptimizerInfo("Adamax", "betas"),
    OptimizerInfo("NAdam", "betas"),
    OptimizerInfo("RAdam", "betas"),
    OptimizerInfo("ASGD", None),
    OptimizerInfo("Rprop", None),
    OptimizerInfo("LBFGS", None, trains=False),  # step() needs a closure
    OptimizerInfo("SparseAdam", "betas", trains=False),  # needs sparse gradients
    OptimizerInfo("Adafactor", None),
    OptimizerInfo("Muon", "momentum", trains=False),  # 2-D weights only
)}

# Optimizer options (of any optimizer) that the training loop cannot honour when true, and
# why (a Text: str() of it is the English).
UNTRAINABLE_OPTIONS: dict[str, Text] = {
    option: Text(f"catalog.option.{option}") for option in ("differentiable", "capturable")}

# Parameters whose canonical spelling in code is a tuple rather than a list.
TUPLE_PARAMS = frozenset({"betas", "etas", "step_sizes", "eps", "ns_coefficients"})
