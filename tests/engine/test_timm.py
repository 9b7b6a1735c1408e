"""timm's schedulers in the engine against timm itself, at every count."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import ScheduleError
from schedlab.engine.timm import SCHEDULERS, values
from tests.timmref import timm_scheduler

BASE = (0.1, 0.02)


def stepped(name: str, steps: int, kwargs: dict, base=BASE) -> np.ndarray:
    """Each group's lr after scheduler.step(t) for t = 0..steps-1, as timm's loop runs it
    (step_update(t) when t_in_epochs=False: the same values)."""
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in base]
    optimizer = torch.optim.SGD(params, lr=base[0])
    scheduler = getattr(timm_scheduler(), name)(optimizer, **kwargs)
    rows = []
    for t in range(steps):
        if kwargs.get("t_in_epochs", True):
            scheduler.step(t)
        else:
            scheduler.step_update(t)
        rows.append([g["lr"] for g in optimizer.param_groups])
    return np.array(rows)


def ours(name: str, steps: int, kwargs: dict, base=BASE) -> np.ndarray:
    kw = {k: v for k, v in kwargs.items() if k != "t_in_epochs"}
    return values(name, steps, kw, list(base))


@pytest.mark.parametrize("name, kwargs", [
    ("CosineLRScheduler", {"t_initial": 30, "warmup_t": 5, "warmup_lr_init": 1e-4}),
    ("CosineLRScheduler", {"t_initial": 10, "cycle_mul": 2.0, "cycle_decay": 0.5,
                           "cycle_limit": 4, "lr_min": 1e-5, "k_decay": 1.5}),
    ("CosineLRScheduler", {"t_initial": 20, "warmup_t": 3, "warmup_prefix": True,
                           "noise_range_t": (5, 15), "noise_pct": 0.5, "noise_seed": 7,
                           "t_in_epochs": False}),
    ("PolyLRScheduler", {"t_initial": 25, "power": 2.0, "warmup_t": 4, "cycle_limit": 2}),
    ("TanhLRScheduler", {"t_initial": 20, "warmup_t": 5, "cycle_limit": 2}),
    ("TanhLRScheduler", {"t_initial": 20, "warmup_t": 5, "warmup_prefix": True}),
    ("StepLRScheduler", {"decay_t": 7, "decay_rate": 0.5, "warmup_t": 3,
                         "warmup_lr_init": 1e-3}),
    ("StepLRScheduler", {"decay_t": 2.5, "decay_rate": 0.9, "noise_range_t": 10}),
    ("MultiStepLRScheduler", {"decay_t": [10, 20, 20, 35], "decay_rate": 0.3,
                              "warmup_t": 4}),
])
def test_each_scheduler_matches_timm_at_every_count(name: str, kwargs: dict) -> None:
    np.testing.assert_allclose(ours(name, 60, kwargs), stepped(name, 60, kwargs),
                               rtol=1e-9, atol=0)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler")),
       first=st.integers(1, 40), mul=st.sampled_from((1.0, 0.5, 0.8, 1.5, 2.0, 3.0)),
       decay=st.floats(0.1, 1.0), limit=st.integers(1, 5), warmup=st.integers(0, 10),
       prefix=st.booleans(), k=st.floats(0.5, 3.0), power=st.floats(0.2, 3.0),
       floor=st.floats(0, 0.01), steps=st.integers(1, 150))
def test_random_cycles_and_warmups_match_timm(name, first, mul, decay, limit, warmup, prefix,
                                              k, power, floor, steps) -> None:
    kwargs = {"t_initial": first, "cycle_mul": mul, "cycle_decay": decay,
              "cycle_limit": limit, "warmup_t": warmup, "warmup_lr_init": 1e-5,
              "warmup_prefix": prefix, "lr_min": floor}
    if name != "TanhLRScheduler":
        kwargs["k_decay"] = k
    if name == "PolyLRScheduler":
        kwargs["power"] = power
    try:
        mine = ours(name, steps, kwargs)
    except ScheduleError as refused:  # refused: timm fails on the same counts ...
        if refused.code == "error.timm.complex":  # ... or sets a complex lr there
            assert np.iscomplexobj(stepped(name, steps, kwargs))
            return
        with pytest.raises(ValueError):
            stepped(name, steps, kwargs)
        return
    np.testing.assert_allclose(mine, stepped(name, steps, kwargs), rtol=1e-9, atol=1e-300)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler")),
       first=st.integers(1, 120), mul=st.sampled_from((1.0, 0.5, 0.9, 1.1, 1.5, 2.0, 3.0)),
       decay=st.floats(0.1, 1.0), limit=st.integers(1, 12), warmup=st.integers(0, 40),
       prefix=st.booleans(), k=st.sampled_from((1.0, 0.7, 2.0)),
       power=st.sampled_from((2.0, 0.5)), start=st.integers(0, 80),
       cuts=st.lists(st.integers(1, 600), max_size=3))
def test_cycles_in_chunks_from_any_count_match_timm(name, first, mul, decay, limit, warmup,
                                                   prefix, k, power, start, cuts) -> None:
    """Long curves are computed a cycle at a time: many cycles, growing or shrinking,
    asked for in chunks that start anywhere (inside a warmup, a cycle or past the last)."""
    kwargs = {"t_initial": first, "cycle_mul": mul, "cycle_decay": decay,
              "cycle_limit": limit, "warmup_t": warmup, "warmup_lr_init": 1e-5,
              "warmup_prefix": prefix, "lr_min": 1e-4}
    if name != "TanhLRScheduler":
        kwargs["k_decay"] = k
    if name == "PolyLRScheduler":
        kwargs["power"] = power
    steps = 600
    bounds = sorted({0, steps, *(c for c in cuts if c < steps)})
    try:
        mine = np.concatenate([values(name, hi - lo, kwargs, list(BASE), start=start + lo)
                               for lo, hi in zip(bounds[:-1], bounds[1:])])
    except ScheduleError as refused:
        theirs = None
        try:
            theirs = stepped(name, start + steps, kwargs)
        except ValueError:
            assert refused.code == "error.timm.cycles"
        if theirs is not None:
            assert refused.code == "error.timm.complex" and np.iscomplexobj(theirs)
        return
    np.testing.assert_allclose(mine, stepped(name, start + steps, kwargs)[start:], rtol=1e-9,
                               atol=1e-300)


@settings(max_examples=150, deadline=None)
@given(multi=st.booleans(), period=st.one_of(st.integers(1, 90), st.sampled_from((2.5, 7.0))),
       milestones=st.lists(st.integers(0, 400), max_size=6), rate=st.floats(0.05, 1.5),
       warmup=st.integers(0, 30), prefix=st.booleans(), start=st.integers(0, 60),
       cuts=st.lists(st.integers(1, 400), max_size=3))
def test_step_decays_in_pieces_equal_timm(multi, period, milestones, rate, warmup,
                                        prefix, start, cuts) -> None:
    """The step schedules are filled a run of equal values at a time (unsorted and repeated
    milestones, whole and fractional periods, a warmup before or inside the decays, a
    curve asked for in chunks from any count): what timm sets, to the last bits."""
    name = "MultiStepLRScheduler" if multi else "StepLRScheduler"
    kwargs = {"decay_t": milestones if multi else period, "decay_rate": rate,
              "warmup_t": warmup, "warmup_lr_init": 1e-4, "warmup_prefix": prefix}
    steps = 400
    expected = stepped(name, start + steps, kwargs)[start:]
    bounds = sorted({0, steps, *(c for c in cuts if c < steps)})
    pieces = [values(name, hi - lo, kwargs, list(BASE), start=start + lo)
              for lo, hi in zip(bounds[:-1], bounds[1:])]
    np.testing.assert_allclose(np.concatenate(pieces), expected, rtol=1e-13, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), pct=st.floats(0.05, 1.0), std=st.floats(0.1, 2.0),
       start=st.integers(0, 20), steps=st.integers(1, 60))
def test_seeded_noise_is_timms_own(seed, pct, std, start, steps) -> None:
    kwargs = {"decay_t": 5, "decay_rate": 0.8, "noise_range_t": start, "noise_pct": pct,
              "noise_std": std, "noise_seed": seed}
    np.testing.assert_allclose(ours("StepLRScheduler", steps, kwargs),
                               stepped("StepLRScheduler", steps, kwargs), rtol=1e-9)


def test_a_cycle_that_runs_out_is_refused_where_timm_fails() -> None:
    kwargs = {"t_initial": 10, "cycle_mul": 0.5, "cycle_limit": 10}
    with pytest.raises(ValueError, match="math domain"):
        stepped("CosineLRScheduler", 30, kwargs)
    with pytest.raises(ScheduleError, match="at t=20 no cycle is left") as caught:
        ours("CosineLRScheduler", 30, kwargs)
    assert "周期" in caught.value.text.render("zh")
    assert ours("CosineLRScheduler", 20, kwargs).shape == (20, 2)  # up to there, it runs


@pytest.mark.parametrize("name", ["CosineLRScheduler", "PolyLRScheduler"])
def test_a_k_decay_no_float_holds_is_refused_where_timm_overflows(name) -> None:
    """Found by the fuzz suite: t ** k_decay beyond a float is timm's OverflowError, and
    was ours, uncaught; it is a message that names k_decay."""
    kwargs = {"t_initial": 100, "k_decay": 1e20}
    with pytest.raises(OverflowError):
        stepped(name, 3, kwargs)
    with pytest.raises(ScheduleError, match="k_decay=1e\\+20") as caught:
        ours(name, 3, kwargs)
    assert "OverflowError" in caught.value.text.render("zh")


def test_noise_that_can_never_be_drawn_is_refused_instead_of_hanging() -> None:
    with pytest.raises(ScheduleError, match="noise_pct=1e-12"):
        ours("StepLRScheduler", 5, {"decay_t": 2, "noise_range_t": 0, "noise_pct": 1e-12})


def test_every_scheduler_is_modelled() -> None:
    assert set(SCHEDULERS) <= set(dir(timm_scheduler()))


def test_cycle_boundaries_where_the_log_is_a_whole_number_match_timm() -> None:
    """cycle_mul=3 puts cycle starts at counts where log_3 of an exact power of 3 is taken
    (math.log(27, 3) is 3.0000000000000004): the cycle found there is timm's."""
    kwargs = {"t_initial": 10, "cycle_mul": 3.0, "cycle_limit": 6, "warmup_t": 0}
    np.testing.assert_allclose(ours("CosineLRScheduler", 410, kwargs),
                               stepped("CosineLRScheduler", 410, kwargs), rtol=1e-9)


@settings(max_examples=120, deadline=None)
@given(sched=st.sampled_from(("cosine", "tanh", "step", "constant", "multistep", "poly")),
       epochs=st.integers(1, 40), warmup=st.integers(0, 5), prefix=st.booleans(),
       per_epoch=st.booleans(), updates=st.integers(1, 4), cooldown=st.integers(0, 3),
       mul=st.sampled_from((1.0, 1.5, 2.0)), limit=st.integers(1, 3),
       rate=st.floats(0.1, 1.0), noise=st.one_of(st.none(), st.just(0.5),
                                                 st.just((0.2, 0.6)), st.just([0.3])))
def test_create_scheduler_v2_builds_what_timm_builds(sched, epochs, warmup, prefix, per_epoch,
                                                     updates, cooldown, mul, limit, rate,
                                                     noise) -> None:
    from schedlab.engine.timm import create_v2

    args = {"num_epochs": epochs, "warmup_epochs": warmup, "warmup_prefix": prefix,
            "step_on_epochs": per_epoch, "updates_per_epoch": updates,
            "cooldown_epochs": cooldown, "cycle_mul": mul, "cycle_limit": limit,
            "decay_rate": rate, "decay_epochs": 7, "decay_milestones": (5, 12), "noise": noise}
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    library, library_epochs = timm_scheduler().create_scheduler_v2(optimizer, sched, **args)
    name, kwargs, total, by_epoch = create_v2(sched, **args)
    assert (type(library).__name__, total, by_epoch) == (name, library_epochs, per_epoch)
    counts = total * (1 if per_epoch else updates) + 3
    rows = []
    for t in range(counts):
        (library.step if per_epoch else library.step_update)(t)
        rows.append(optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(values(name, counts, kwargs, [0.1])[:, 0], rows, rtol=1e-9)


def test_create_scheduler_v2_says_what_it_does_not_model() -> None:
    from schedlab.engine.timm import create_v2

    with pytest.raises(ScheduleError, match="sched='wsd' is not one schedlab models"):
        create_v2("wsd", num_epochs=10)
    with pytest.raises(ScheduleError, match="no argument epochs"):
        create_v2("cosine", epochs=10)
    with pytest.raises(ScheduleError, match="updates_per_epoch >= 1"):
        create_v2("cosine", step_on_epochs=False)


@pytest.mark.parametrize("name, kwargs", [("StepLRScheduler", {"decay_t": 0}),
                                          ("CosineLRScheduler", {"t_initial": 0}),
                                          ("PolyLRScheduler", {"t_initial": -3})])
def test_a_length_of_zero_is_refused_where_timm_fails(name, kwargs) -> None:
    with pytest.raises((AssertionError, ZeroDivisionError)):
        stepped(name, 5, kwargs)
    with pytest.raises(ScheduleError, match="must be > 0"):
        ours(name, 5, kwargs)


def test_noise_that_takes_many_draws_is_priced_before_any_work() -> None:
    """A tight noise_pct makes timm redraw about 125 times a count: 50k noisy counts would
    take many seconds, so the request is refused up front, saying how many steps fit."""
    from schedlab import compute_curve, parse_schedule
    from schedlab.engine.cost import estimate_curve

    tight = parse_schedule("CosineLRScheduler(optimizer, t_initial=1000, noise_range_t=0, "
                           "noise_pct=0.01)", "SGD(params, lr=0.1)")
    loose = parse_schedule("CosineLRScheduler(optimizer, t_initial=1000, noise_range_t=0)",
                           "SGD(params, lr=0.1)")
    assert estimate_curve(tight, 50_000).seconds > 20 * estimate_curve(loose, 50_000).seconds
    with pytest.raises(ScheduleError) as refused:
        compute_curve(tight, 50_000)
    assert refused.value.code == "error.budget.seconds"
    assert len(compute_curve(tight, 500)) == 500  # a short run of it is drawn
