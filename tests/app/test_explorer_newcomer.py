"""The explorer as a newcomer meets it (issue 9): pasted schedules drawn whole, boxes that
never use another value than the one typed, every param-group count, examples that fit
the run, and a CSV button that never fails silently."""

from __future__ import annotations

import pytest

from schedlab import check_schedule, parse_schedule
from schedlab.present.share import ExplorerState
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.horizon import Horizon
from schedlab.spec.schedule import Schedule
from tests.app.test_explorer_app import (
    gen,
    healthy,
    held_back,
    names,
    page,
    state,
)
from tests.app.tabs import open_panel, paste
from tests.markdown import shown

WARMUP_COSINE = ("optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, "
                 "weight_decay=0.05)\n"
                 "warmup = LinearLR(optimizer, start_factor=0.001, total_iters=2000)\n"
                 "cosine = CosineAnnealingLR(optimizer, T_max=598000)\n"
                 "scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[2000])")


def infos(at) -> str:
    return " ".join(shown(i.value) for i in at.info)


def test_a_pasted_warmup_and_cosine_is_drawn_whole_per_batch() -> None:
    at = page()
    paste(at, WARMUP_COSINE)
    healthy(at)
    h = state(at).horizon
    assert (h.total_steps, h.step_per) == (600_000, "batch")
    assert "600,000 steps" in infos(at)
    g = gen(at)
    assert at.number_input(key=f"{g}.epochs").value * at.number_input(
        key=f"{g}.spe").value == 600_000
    assert at.segmented_control(key=f"{g}.per").value == "batch"
    # the advice fits the run drawn: no warning about the schedule's length or warmup
    findings = check_schedule(state(at).schedule, h.scheduler_steps, h.steps_per_epoch,
                              h.step_per)
    assert not [f for f in findings if f.severity != "info"], findings
    assert not at.warning


def test_len_train_loader_is_the_runs_steps_per_epoch() -> None:
    at = page()
    paste(at, "OneCycleLR(optimizer, max_lr=0.1, epochs=10, "
               "steps_per_epoch=len(train_loader))")
    healthy(at)
    assert not at.error
    s = state(at)
    assert s.schedule.scheduler.kwargs["steps_per_epoch"] == 100  # the run's, before Apply
    assert (s.horizon.epochs, s.horizon.steps_per_epoch, s.horizon.step_per) == (
        10, 100, "batch")
    assert "len(train_loader) is read as the run's steps per epoch (100)" in infos(at)


@pytest.mark.parametrize("box,typed,message", [
    ("spe", 1e9, "steps per epoch must be a whole number from 1 to 10,000,000; "
                 "1,000,000,000 is out of range"),
    ("spe", 2.5, "steps per epoch must be a whole number from 1 to 10,000,000; 2.5 is not"),
    ("epochs", 0.0, "epochs must be a whole number from 1 to 10,000,000; 0 is out of range"),
    ("p.StepLR.step_size", 2.5, "step_size=2.5 is not allowed; step_size must be an integer"),
    ("opt.extra", 20.0, "extra param groups must be a whole number from 0 to 15"),
])
def test_a_box_never_silently_uses_another_value(box: str, typed: float, message: str) -> None:
    at = page()
    if box.startswith("opt."):
        open_panel(at, "opt.open")
    before = state(at)
    at.number_input(key=f"0.{box}").set_value(typed).run()
    held_back(at)  # no chart of the old value beside the changed box
    assert message in " ".join(shown(e.value) for e in at.error)
    assert state(at).horizon == before.horizon
    at.number_input(key=f"0.{box}").set_value(before.horizon.epochs if box == "epochs"
                                               else 50.0 if box != "opt.extra" else 0.0).run()
    healthy(at)


def test_a_whole_float_is_taken_as_the_whole_number() -> None:
    at = page()
    at.number_input(key="0.spe").set_value(250.0).run()
    at.number_input(key="0.p.StepLR.step_size").set_value(40.0).run()
    healthy(at)
    assert state(at).horizon.steps_per_epoch == 250
    assert state(at).schedule.scheduler.kwargs["step_size"] == 40


@pytest.mark.parametrize("groups", [7, 16])
def test_every_param_group_count_the_model_accepts(groups: int) -> None:
    lrs = ", ".join(f"{{'params': g{i}, 'lr': {0.1 / (i + 1):.4g}}}" for i in range(groups))
    schedule = parse_schedule("StepLR(optimizer, 30)", f"SGD([{lrs}], lr=0.1)")
    at = open_panel(page(ExplorerState(schedule=schedule).encode()), "opt.open")
    healthy(at)
    assert at.number_input(key="0.opt.extra").value == groups - 1
    assert len([n for n in names(at) if n.startswith("current · group")]) == groups


def test_an_optimizer_alone_replaces_the_optimizer_and_keeps_the_scheduler() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("CosineAnnealingLR").run()
    scheduler = state(at).schedule.scheduler
    paste(at, "optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)")
    healthy(at)
    assert not at.error
    assert state(at).schedule.scheduler == scheduler
    assert state(at).schedule.optimizer.name == "AdamW"


def test_an_error_on_the_optimizer_line_says_so() -> None:
    at = page()
    paste(at, "optimizer = SGD(model.parameters(), lr=-0.1)\nStepLR(optimizer, 30)")
    text = shown(at.error[0].value)
    assert text.startswith("optimizer line 1:") and "scheduler line" not in text


def test_onecycles_own_epochs_are_labelled_as_the_schedulers() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("OneCycleLR").run()
    labels = [b.label for b in at.number_input]
    assert "epochs (OneCycleLR's own)" in labels and "epochs" in labels
    assert "steps_per_epoch (OneCycleLR's own)" in labels


@pytest.mark.parametrize("run", [Horizon(100, 100, "epoch"), Horizon(30, 391, "epoch"),
                                 Horizon(100, 100, "batch")])
def test_a_scheduler_picked_from_the_list_fits_the_run(run: Horizon) -> None:
    """A newcomer who picks a scheduler is not greeted by a warning about its example."""
    at = page(ExplorerState(horizon=run).encode())
    for name in sorted(SCHEDULERS):
        at.selectbox(key="0.mode").set_value(name).run()
        healthy(at)
        s: Schedule = state(at).schedule
        assert s.scheduler.name == name
        found = check_schedule(s, run.scheduler_steps, run.steps_per_epoch, run.step_per)
        assert not [f.message for f in found if f.severity != "info"], name
        assert not at.warning and not at.error, name


def test_a_schedule_that_fails_for_the_run_says_why_there_is_no_csv() -> None:
    schedule = parse_schedule("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)")
    at = page(ExplorerState(schedule=schedule, horizon=Horizon(30, 100, "batch")).encode())
    assert not at.exception
    assert "Tried to step" in " ".join(shown(e.value) for e in at.error)
    assert not [b for b in at.get("download_button") if b.proto.label.startswith(
        "Download CSV")]
    assert "No CSV for this run" in " ".join(shown(w.value) for w in at.warning)


def test_a_long_label_is_cut_with_a_note() -> None:
    at = page()
    key = next(t.key for t in at.text_input if t.key.startswith("pin."))
    at.text_input(key=key).set_value("x" * 300).run()
    at.button(key="pin.add").click().run()
    healthy(at)
    label = state(at).compare[0].label
    assert len(label) == 120 and label.endswith("…")
    assert "cut to 120 characters (it had 300)" in " ".join(shown(c.value) for c in at.caption)


@pytest.mark.parametrize("spe,code", [
    (None, "LinearLR(optimizer, total_iters=0)"),
    (20000.0, "CosineAnnealingLR(optimizer, T_max=1000)"),  # 1,000 epochs x 20,000: too long
])
def test_apply_never_fails_whatever_the_run(spe, code: str) -> None:
    at = page()
    if spe:
        at.number_input(key="0.spe").set_value(spe).run()
    paste(at, code)
    healthy(at)
    h = state(at).horizon
    assert h.total_steps <= 10_000_000
    if spe:  # drawn whole, per batch, within the explorer's limit
        assert (h.scheduler_steps, h.step_per) == (1000, "batch")


def test_a_run_value_typed_just_before_apply_counts() -> None:
    at = page()
    at.number_input(key="0.spe").set_value(391.0)  # typed, not yet sent on its own
    at = paste(at, "OneCycleLR(optimizer, max_lr=0.1, epochs=10, "
                   "steps_per_epoch=len(train_loader))")
    healthy(at)
    assert state(at).schedule.scheduler.kwargs["steps_per_epoch"] == 391
    assert state(at).horizon == Horizon(10, 391, "batch")


def test_a_comment_about_the_loader_is_not_a_length_in_batches() -> None:
    at = page()
    paste(at, "# T_max in epochs, not len(train_loader)\n"
               "CosineAnnealingLR(optimizer, T_max=50)")
    healthy(at)
    assert state(at).horizon == Horizon(50, 100, "epoch")
    assert "len(train_loader)" not in infos(at)


def test_an_optimizer_alone_leaves_the_run_as_it_is() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("CosineAnnealingLR").run()
    at.number_input(key="0.epochs").set_value(200.0).run()
    before = state(at).horizon
    paste(at, "AdamW(model.parameters(), lr=3e-4)")
    healthy(at)
    assert state(at).horizon == before and not infos(at)


def test_the_paste_note_goes_when_the_schedule_changes() -> None:
    at = page()
    paste(at, "OneCycleLR(optimizer, max_lr=0.1, total_steps=10000)")
    assert "10,000 steps" in infos(at)
    at.number_input(key=f"{gen(at)}.p.OneCycleLR.total_steps").set_value(9999.0).run()
    assert "10,000 steps" not in infos(at)


def test_an_empty_box_says_so() -> None:
    at = page()
    at.number_input(key="0.epochs").set_value(None).run()
    held_back(at)
    assert "epochs must be a whole number from 1 to 10,000,000; the box is empty" in \
        " ".join(shown(e.value) for e in at.error)


def test_a_phase_picked_from_the_list_fits_its_phase() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("SequentialLR").run()
    for name in ("StepLR", "MultiStepLR", "CosineAnnealingLR", "OneCycleLR"):
        at.selectbox(key="0.ph0.name").set_value(name).run()
        healthy(at)
        h = state(at).horizon
        found = check_schedule(state(at).schedule, h.scheduler_steps, h.steps_per_epoch,
                               h.step_per)
        assert not [f.message for f in found if f.severity != "info"], name
