"""parse_schedule reads code as people write it, and explains what it cannot read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import Lambda, ScheduleError, compute_curve, parse_schedule
from schedlab.spec.schedule import OptimizerSpec, SchedulerSpec

STEP = SchedulerSpec("StepLR", {"step_size": 30, "gamma": 0.1})


@pytest.mark.parametrize("code", [
    "StepLR(optimizer, step_size=30, gamma=0.1)",
    "lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)",
    "torch.optim.lr_scheduler.StepLR(optimizer, 30, 0.1)",
    "optim.lr_scheduler.StepLR(opt, 30, gamma=0.1)",
    "scheduler = StepLR(self.optimizer, step_size=30, gamma=0.1)",
    "import torch\nfrom torch.optim.lr_scheduler import StepLR\n\n"
    "scheduler = StepLR(optimizer, step_size=30, gamma=0.1)  # decay\nscheduler.step()",
    "    step = 30\n    scheduler = StepLR(optimizer, step_size=step, gamma=1e-1)",
    "StepLR(optimizer, step_size=3 * 10, gamma=0.5 / 5)",
])
def test_scheduler_spellings(code: str) -> None:
    assert parse_schedule(code).scheduler == STEP


@pytest.mark.parametrize("code,name,kwargs", [
    ("SGD(params, lr=0.1)", "SGD", {"lr": 0.1}),
    ("optim.SGD(model.parameters(), lr=0.1, momentum=0.9)", "SGD",
     {"lr": 0.1, "momentum": 0.9}),
    ("torch.optim.SGD(net.parameters(), 0.1, 0.9)", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.98), "
     "weight_decay=0.05)", "AdamW", {"lr": 3e-4, "betas": (0.9, 0.98), "weight_decay": 0.05}),
    ("Adam(filter(lambda p: p.requires_grad, model.parameters()))", "Adam", {}),
    ("RMSprop([w, b], lr=0.01, momentum=0.5)", "RMSprop", {"lr": 0.01, "momentum": 0.5}),
])
def test_optimizer_spellings(code: str, name: str, kwargs: dict) -> None:
    opt = parse_schedule("StepLR(optimizer, 30)", code).optimizer
    assert (opt.name, opt.kwargs, opt.groups) == (name, kwargs, None)


def test_param_groups_are_read_with_their_own_lr() -> None:
    s = parse_schedule("StepLR(optimizer, step_size=10)",
                       "SGD([{'params': backbone}, {'params': head.parameters(), 'lr': 1e-2}], "
                       "lr=1e-5, momentum=0.9)")
    assert s.optimizer.groups == ({}, {"lr": 0.01})
    table = compute_curve(s, 11)
    assert table["lr"][0] == 1e-5 and table["lr_1"][0] == 1e-2
    assert table["lr_1"][10] == pytest.approx(1e-3)


def test_multi_line_sequential_with_named_parts_and_optimizer() -> None:
    code = """
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
warmup_epochs = 5
epochs = 100
warmup = LinearLR(optimizer, start_factor=0.01, total_iters=warmup_epochs)
cosine = CosineAnnealingLR(optimizer, T_max=epochs - warmup_epochs, eta_min=1e-5)
scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[warmup_epochs])
for epoch in range(epochs):
    train()
"""
    with pytest.raises(ScheduleError, match="line 8"):
        parse_schedule(code)
    s = parse_schedule(code.split("for epoch")[0])
    assert s.optimizer == OptimizerSpec("SGD", {"lr": 0.1, "momentum": 0.9})
    assert [c.name for c in s.scheduler.kwargs["schedulers"]] == ["LinearLR",
                                                                  "CosineAnnealingLR"]
    assert s.scheduler.kwargs["schedulers"][1].kwargs["T_max"] == 95


def test_lambdas_inline_named_and_per_group() -> None:
    code = ("lambda1 = lambda epoch: epoch // 30\nlambda2 = lambda epoch: 0.95 ** epoch\n"
            "scheduler = LambdaLR(optimizer, lr_lambda=[lambda1, lambda2])")
    s = parse_schedule(code, "SGD([{'params': a}, {'params': b}], lr=0.1)")
    assert s.scheduler.kwargs["lr_lambda"] == (Lambda("lambda epoch: epoch // 30"),
                                               Lambda("lambda epoch: 0.95 ** epoch"))
    multi_line = "LambdaLR(opt, lambda step: (step + 1) / 10\n         if step < 10 else 1.0)"
    assert parse_schedule(multi_line).scheduler.kwargs["lr_lambda"].source == \
        "lambda step: (step + 1) / 10 if step < 10 else 1.0"


def test_chained_and_inline_optimizer() -> None:
    s = parse_schedule("ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2), "
                       "ExponentialLR(optimizer, gamma=0.9)], optimizer=optimizer)")
    assert [c.name for c in s.scheduler.kwargs["schedulers"]] == ["ConstantLR",
                                                                  "ExponentialLR"]
    inline = parse_schedule("StepLR(torch.optim.Adam(net.parameters(), lr=1e-3), 5)")
    assert inline.optimizer.name == "Adam"


@pytest.mark.parametrize("code,optimizer,message", [
    ("StepLR(optimizer, step_size=0)", None, "step_size=0 is not allowed.*integer >= 1"),
    ("StepLR(optimizer, step_size=30, gamma=0)", None, "gamma=0 is not allowed.*> 0"),
    ("StepLR(optimizer, step_size=30, gamma=-0.5)", None, "gamma"),
    ("StepLR(optimizer, step_size=2.5)", None, "step_size=2.5.*integer"),
    ("StepLR(optimizer)", None, "missing a required argument: 'step_size'"),
    ("StepLR(optimizer, step_size=30, verbose=True)", None,
     "unexpected keyword argument 'verbose'.*step_size, gamma"),
    ("StepLR(optimizer, 30, 0.1, -1, 5)", None, "too many positional"),
    ("CosineAnnealingWarmRestarts(optimizer, T_0=0)", None, "T_0=0"),
    ("CosineAnnealingLR(optimizer, T_max=0)", None, "T_max=0"),
    ("StepLR(optimizer, step_size=30)", "SGD(params, lr=-0.1)", "lr=-0.1"),
    ("StepLR(optimizer, step_size=30)", "SGD(params, lr=float('nan'))", "strings"),
    ("StepLR(optimizer, step_size=30)", "SGD(params, lr=inf - inf)", "NaN"),
    ("StepLR(optimizer, step_size=30, gamma=inf)", None, "finite"),
    ("StepLR(optimizer, step_size=30)", "SGD(params, lr=0.1, momentum=-1)",
     "momentum=-1 is not allowed; momentum must be a finite number >= 0"),
    ("StepLR(optimizer, step_size=30)", "Frobnicate(params)", "not an optimizer or scheduler"),
    ("scheduler = StepLr(optimizer, 30)", None, "StepLr is not a scheduler .*did you mean StepLR"),
    ("s = get_polynomial_schedule(optimizer, 10, 100)", None,
     "get_polynomial_schedule is not a scheduler or optimizer schedlab knows; it knows the "
     "schedulers of torch, transformers and timm \\(StepLR, .*\\) and torch's "
     "optimizers \\(ASGD, "),
    ("s = get_greedy_schedule(optimizer)", None, "GreedyLR is not modelled here"),
    ("s = transformers.get_adafactor_schedule(optimizer)", None, "no schedule to draw"),
    ("model = Net()\nStepLR(optimizer, 5)", None, "`Net\\(\\)` cannot be evaluated here"),
    ("lr = get_lr(optimizer)\nStepLR(optimizer, 5)", None,
     "`get_lr\\(optimizer\\)` cannot be evaluated here"),
    ("StepLR(optimizer, step_size=30)", "SGD(params, lr=0.1, foo=1)",
     "unexpected keyword argument 'foo'"),
    ("OneCycleLR(optimizer, max_lr=0.1)", None, "total_steps OR"),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=0)", None, "total_steps=0"),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=10, pct_start=0)", None,
     "Expected float between 0 and 1 pct_start"),
    ("CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)", "Adagrad(params)",
     "momentum"),
    ("SequentialLR(optimizer, schedulers=[StepLR(optimizer, 5), StepLR(optimizer, 6)], "
     "milestones=[])", None, "number of milestones"),
    ("SequentialLR(optimizer, schedulers=[StepLR(optimizer, 5), "
     "ReduceLROnPlateau(optimizer)], milestones=[3])", None, "cannot contain ReduceLROnPlateau"
     ".*torch refuses to build it .*step ReduceLROnPlateau on its own"),
    ("ChainedScheduler([ExponentialLR(optimizer, 0.9), "
     "get_reduce_on_plateau_schedule(optimizer, patience=2)])", None,
     "ChainedScheduler cannot contain ReduceLROnPlateau"),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=5), "
     "CosineLRScheduler(optimizer, t_initial=50)], milestones=[5])", None,
     "SequentialLR cannot contain CosineLRScheduler: timm's schedulers are given the count"),
    ("LambdaLR(optimizer, lr_lambda=[lambda e: 1, lambda e: 2])", None,
     "2 lambdas but the optimizer has 1"),
    ("LambdaLR(optimizer, lr_lambda=my_function)", None, "not a lambda"),
    ("MultiStepLR(optimizer, milestones=[0] * 10 ** 9)", None, "written out element"),
    ("StepLR(optimizer, step_size=len(train_loader))", None, "steps per epoch, unknown here"),
    ("StepLR(optimizer, step_size=len(val_set))", None, "cannot be evaluated here"),
    ("StepLR(optimizer, step_size=epochs)", None, "'epochs' is not defined"),
    ("StepLR(optimizer, step_size=9 ** 9 ** 9)", None, "overflow"),
    ("StepLR(optimizer, step_size=30", None, "line 1: not valid Python"),
    ("x = 1\nStepLR(optimizer, 5)\nStepLR(optimizer, 6)", None, "2 separate schedulers"),
    ("w = StepLR(optimizer, 5)\nSequentialLR(optimizer, schedulers=[w, w], milestones=[3])",
     None, "used twice"),
    ("print('hello')", None, "line 1: `print"),
    ("", None, "no scheduler found"),
    ("StepLR(optimizer, 5, last_epoch=10)", None, "last_epoch=10"),
    ("StepLR(optimizer, 5)\n" + "x = 1\n" * 5000, None, "too long"),
    ("StepLR(optimizer, " + "(" * 500 + "5" + ")" * 500 + ")", None, "line 1|nested"),
    ("ExponentialLR(optimizer, gamma=0.9)", "SGD(params, lr=0.1)\nAdam(params)",
     None),
])
def test_mistakes_get_clear_messages(code: str, optimizer: str | None,
                                     message: str | None) -> None:
    if message is None:  # the last optimizer line wins, as in Python
        assert parse_schedule(code, optimizer).optimizer.name == "Adam"
        return
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(code, optimizer or "SGD(params, lr=0.1)")


def test_a_number_named_like_an_optimizer_is_still_a_number() -> None:
    s = parse_schedule("opt = 30\nn = max(opt, 10)\nStepLR(optimizer, step_size=n)")
    assert s.scheduler.kwargs["step_size"] == 30


def test_an_optimizer_in_the_scheduler_code_takes_the_place_of_the_other() -> None:
    s = parse_schedule("opt = Adam(p, lr=0.01)\nStepLR(opt, 5)", "SGD(params, lr=0.5)")
    assert s.optimizer == OptimizerSpec("Adam", {"lr": 0.01})
    assert parse_schedule("StepLR(opt, 5)", "SGD(params, lr=0.5)").optimizer.name == "SGD"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_another_exception(text: str) -> None:
    try:
        parse_schedule(text)
    except ScheduleError:
        pass


_PIECES = ["StepLR(", "optimizer", ", ", "step_size=", "30", "gamma=", "0.1", ")", "[", "]",
           "lambda e: ", "e", "**", "LambdaLR(", "SequentialLR(", "schedulers=", "milestones=",
           "1e400", "-", "None", "True", "'cos'", "OneCycleLR(", "max_lr=", "total_steps=",
           "\n", "x = ", "x", "(", "CyclicLR(", "base_lr=", "0", "1", "9**9**9"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25))
def test_code_like_garbage_gives_schedule_error_or_a_working_schedule(parts: list) -> None:
    try:
        s = parse_schedule("".join(parts))
    except ScheduleError:
        return
    try:
        compute_curve(s, 50)
    except ScheduleError:
        pass


def test_a_lightning_configure_optimizers_is_read_whole() -> None:
    """Pasted as written in a LightningModule: the method, its lines, and what it returns
    (a scheduler made in the return value too); the interval is read by the paste box."""
    from schedlab.source.paste import lightning_interval

    code = ("def configure_optimizers(self):\n"
            "    optimizer = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)\n"
            "    return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, 30)]\n")
    s = parse_schedule(code)
    assert (s.scheduler.name, s.scheduler.kwargs, s.optimizer.kwargs["lr"]) == (
        "StepLR", {"step_size": 30}, 0.05)
    assert lightning_interval(code) is None
    told = code.replace("[torch.optim.lr_scheduler.StepLR(optimizer, 30)]",
                        '{"scheduler": StepLR(optimizer, 30), "interval": "step"}')
    assert parse_schedule(told).scheduler.name == "StepLR"
    assert lightning_interval(told) == "step"
    with pytest.raises(ScheduleError, match="only assignments"):
        parse_schedule("def train(model):\n    return 1\n")
