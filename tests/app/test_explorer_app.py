"""The explorer page, driven through Streamlit's AppTest."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from schedlab import compute_curve, parse_schedule
from schedlab.app import HOME
from schedlab.present.share import MAX_PINNED, ExplorerState
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.horizon import Horizon
from tests.app.tabs import open_panel, open_tab, paste
from tests.echarts import charts, lines_of, marks_of, option_of
from tests.markdown import shown

APP = str(HOME)


def page(query: str | None = None) -> AppTest:
    """The explorer, reached as a user would: the app, then its explorer page."""
    at = AppTest.from_file(APP, default_timeout=60)
    if query is not None:
        at.query_params["s"] = query
    return at.switch_page("pages/explorer.py").run()


def state(at: AppTest) -> ExplorerState:
    return at.session_state["explorer.state"]


def gen(at: AppTest) -> int:
    return at.session_state["explorer.gen"]


def link(at: AppTest) -> str:
    value = at.query_params["s"]
    return value if isinstance(value, str) else value[0]


def names(at: AppTest) -> list[str]:
    return list(lines_of(option_of(at)))


def healthy(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert charts(at) == 1


def held_back(at: AppTest) -> None:
    """A box holds a value that is not allowed: its message shows, and no chart (which
    would be of another value than the box's) is drawn."""
    assert not at.exception, at.exception
    assert not charts(at)
    assert at.info and "comes back once" in shown(at.info[0].value)


def test_default_view_draws_and_puts_the_state_in_the_url() -> None:
    at = page()
    healthy(at)
    assert not at.error
    assert ExplorerState.decode(link(at)) == state(at)
    assert [m.label for m in at.metric] == ["peak lr", "final lr", "mean lr",
                                            "under 10% from step"]


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_scheduler_draws_with_its_default_parameters(name: str) -> None:
    at = page()
    at.selectbox(key="0.mode").set_value(name).run()
    healthy(at)
    assert not at.error, [e.value for e in at.error]
    assert state(at).schedule.scheduler.name == name
    assert "current" in names(at)
    if name == "ReduceLROnPlateau":
        assert "validation metric (synthetic)" in names(at)


def test_changing_a_parameter_changes_the_curve() -> None:
    at = page()
    before = [m.value for m in at.metric]
    at.number_input(key="0.p.StepLR.gamma").set_value(0.5).run()
    healthy(at)
    assert state(at).schedule.scheduler.kwargs["gamma"] == 0.5
    assert [m.value for m in at.metric] != before
    assert at.metric[1].value == f"{0.1 * 0.5 ** 3:.4g}"  # 100 epochs: decays at 30, 60, 90
    at.number_input(key="0.p.StepLR.gamma").set_value(0.05).run()
    assert at.metric[1].value == f"{0.1 * 0.05 ** 3:.2e}"  # small values in e-notation



def test_pasted_code_fills_the_widgets_and_draws_torchs_curve() -> None:
    at = page()
    code = ("optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)\n"
            "warmup = LinearLR(optimizer, start_factor=0.01, total_iters=5)\n"
            "cosine = CosineAnnealingLR(optimizer, T_max=95)\n"
            "scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[5])")
    paste(at, code)
    healthy(at)
    open_panel(at, "opt.open")
    g = gen(at)
    assert at.selectbox(key=f"{g}.mode").value == "SequentialLR"
    assert at.selectbox(key=f"{g}.ph1.name").value == "CosineAnnealingLR"
    assert at.number_input(key=f"{g}.ph1.start").value == 5
    assert at.selectbox(key=f"{g}.opt.name").value == "AdamW"
    expected = compute_curve(parse_schedule(code), 100)["lr"].max()
    assert float(at.metric[0].value) == pytest.approx(expected, rel=1e-3)


def test_bad_pasted_code_is_explained_and_nothing_else_changes() -> None:
    at = page()
    before = state(at)
    paste(at, "StepLR(optimizer, step_size=len(val_set))")
    healthy(at)
    assert "len(val_set)" in shown(at.error[0].value)
    assert state(at) == before


@pytest.mark.parametrize("key,value,message", [
    ("0.p.StepLR.gamma", 0.0, "gamma=0.0 is not allowed"),
    ("0.opt.lr", 0.0, None),  # a zero lr is allowed: flat curve, no error
])
def test_bad_parameter_shows_a_message_under_the_widget(key: str, value, message) -> None:
    at = page()
    if ".opt." in key:
        open_panel(at, "opt.open")
    at.number_input(key=key).set_value(value).run()
    if message is None:
        healthy(at)
        assert not at.error
        return
    held_back(at)
    assert message in shown(at.error[0].value)


def test_bad_text_parameters_show_messages() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("MultiStepLR").run()
    at.text_input(key="0.p.MultiStepLR.milestones").set_value("30, sixty").run()
    held_back(at)
    assert "'sixty' in milestones is not a number" in shown(at.error[0].value)
    at.selectbox(key="0.mode").set_value("LambdaLR").run()
    at.text_input(key="0.p.LambdaLR.lr_lambda").set_value("lambda e: __import__('os')").run()
    held_back(at)
    assert "call not allowed" in shown(at.error[0].value)


def test_link_round_trip_and_hostile_links() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("CyclicLR").run()
    at.button(key="pin.add").click().run()
    at.toggle(key="0.log").set_value(True).run()
    shared = link(at)
    again = page(shared)
    healthy(again)
    assert state(again) == state(at)
    assert not again.warning
    assert again.selectbox(key="0.mode").value == "CyclicLR"
    bad = page(shared[:-10])
    healthy(bad)
    assert "could not be opened" in shown(bad.warning[0].value)
    assert state(bad) == ExplorerState()


def test_comparison_list_pin_show_remove_clear() -> None:
    at = page()
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("pin."))
                  ).set_value("resnet step").run()
    at.button(key="pin.add").click().run()
    at.selectbox(key="0.mode").set_value("CosineAnnealingLR").run()
    at.button(key="pin.add").click().run()
    healthy(at)
    labels = [p.label for p in state(at).compare]
    assert labels[0] == "resnet step" and labels[1].startswith("CosineAnnealingLR(T_max=100)")
    # the second pin is the current schedule: drawn once, named as both
    assert "resnet step" in names(at) and labels[1] not in names(at)
    assert f"current = {labels[1]}" in names(at)
    at.button(key="pin.restore.0").click().run()
    assert state(at).schedule.scheduler.name == "StepLR"
    at.button(key="pin.remove.0").click().run()
    assert [p.label for p in state(at).compare] == labels[1:]
    at.button(key="pin.add").click().run()
    at.button(key="pin.add").click().run()  # the same curve again: said, not pinned twice
    assert len(state(at).compare) == len(labels)
    assert "pinned already" in " ".join(shown(c.value) for c in at.caption)
    g = gen(at)
    for i in range(MAX_PINNED - len(state(at).compare)):
        at.number_input(key=f"{g}.p.StepLR.gamma").set_value(0.2 + i / 10).run()
        at.button(key="pin.add").click().run()
    assert len(state(at).compare) == MAX_PINNED and at.button(key="pin.add").disabled
    at.button(key="pin.clear").click().run()
    healthy(at)
    assert state(at).compare == ()


def test_phase_builder_and_param_groups() -> None:
    at = page()
    at.selectbox(key="0.mode").set_value("SequentialLR").run()
    at.button(key="0.add").click().run()
    healthy(at)
    spec = state(at).schedule.scheduler
    assert [c.name for c in spec.kwargs["schedulers"]] == ["LinearLR", "CosineAnnealingLR",
                                                           "ExponentialLR"]
    assert spec.kwargs["milestones"] == (5, 15)
    at.button(key="0.remove").click().run()
    assert len(state(at).schedule.scheduler.kwargs["schedulers"]) == 2
    open_panel(at, "opt.open")
    at.number_input(key="0.opt.extra").set_value(1).run()
    healthy(at)
    assert state(at).schedule.optimizer.group_count == 2
    assert "current · group 1" in names(at)


def test_per_batch_versus_per_epoch_and_epoch_axis() -> None:
    at = page()
    at.segmented_control(key="0.per").set_value("batch").run()
    healthy(at)
    assert state(at).horizon == Horizon(100, 100, "batch")
    x_steps = lines_of(option_of(at))["current"][0]
    assert x_steps[-1] == 9999
    at.segmented_control(key="0.x").set_value("epoch").run()
    healthy(at)
    assert lines_of(option_of(at))["current"][0][-1] == pytest.approx(99.99)


def test_an_unexpected_failure_shows_an_apology_not_a_traceback(monkeypatch) -> None:
    import schedlab.ui.chart

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(schedlab.ui.chart, "drawn", boom)
    at = page()
    assert not at.exception
    assert "Sorry, something unexpected went wrong" in shown(at.error[0].value)
    assert "simulated bug" in at.expander[-1].children[0].value


def test_sanity_check_panel_and_shading() -> None:
    at = page()
    assert at.tabs[0].label == "Sanity check (no problems)"
    assert "No classic mistakes" in shown(at.success[0].value)
    at.selectbox(key="0.mode").set_value("CosineAnnealingLR").run()
    at.number_input(key="0.p.CosineAnnealingLR.T_max").set_value(40).run()
    healthy(at)
    assert at.tabs[0].label == "Sanity check (1 finding)"
    assert "reaches eta_min after T_max=40" in shown(at.warning[0].value)
    shades = marks_of(option_of(at))["markArea"]["data"]
    assert [(a["xAxis"], b["xAxis"]) for a, b in shades] == [(40 * 100, 100 * 100 - 1)]


def test_code_panel_holds_a_runnable_script() -> None:
    at = open_tab(page(), 1)
    script = at.code[0].value
    assert "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)" in script
    assert "epochs, steps_per_epoch = 100, 100" in script
    namespace: dict = {}
    exec(compile(script, "<exported>", "exec"), namespace)  # the page's own export
    assert len(namespace["lrs"]) == 100 * 100
    assert namespace["lrs"][-1] == pytest.approx(1e-4)


def test_the_code_panel_writes_the_trainers_settings_or_says_why_not() -> None:
    at = paste(page(), "get_cosine_schedule_with_warmup(optimizer, 100, 2000)")
    open_tab(at, 1)
    at.radio(key="code.style").set_value("trainer").run()
    code = at.code[0].value
    assert 'lr_scheduler_type="cosine"' in code and "warmup_steps=100" in code
    assert "max_steps=2000" in code
    at.radio(key="code.style").set_value("timm").run()
    assert not at.code or "create_scheduler_v2" not in at.code[0].value
    assert any("create_scheduler_v2 makes timm's own schedulers" in shown(i.value)
               for i in at.info)
    at.radio(key="code.style").set_value("lightning").run()
    assert '"interval": "step"' in at.code[0].value


def test_only_the_open_tab_runs_and_it_stays_open_when_its_label_changes() -> None:
    at = page()
    assert at.success and not at.code and not at.latex  # the check; no script, no card
    open_tab(at, 1)
    assert "StepLR(optimizer, step_size=30)" in at.code[0].value and not at.success
    at.selectbox(key="0.mode").set_value("CosineAnnealingLR").run()
    at.number_input(key="0.p.CosineAnnealingLR.T_max").set_value(40).run()
    assert [t.label for t in at.tabs] == ["Sanity check (1 finding)", "Code",
                                          "About CosineAnnealingLR"]
    assert "CosineAnnealingLR(optimizer, T_max=40)" in at.code[0].value  # still the code
    open_tab(at, 2)
    assert at.latex and not any("T_max=40" in c.value for c in at.code)


def test_every_click_on_a_tab_opens_it() -> None:
    """Each click counts, the second and third too (a tab whose id changed with the one
    open lost every other click)."""
    at = page()
    for index in (1, 2, 1, 0, 2):
        open_tab(at, index)
        opened = (bool(at.success), any("StepLR(optimizer" in c.value for c in at.code),
                  bool(at.latex))
        assert opened == tuple(i == index for i in range(3)), (index, opened)


def test_an_open_panel_stays_open_and_keeps_what_is_typed_when_its_label_changes() -> None:
    """Picking Adam renames the panel ("Optimizer: Adam"): Streamlit takes a renamed
    expander for another one, which would start folded and drop the lr typed next."""
    at = open_panel(page(), "opt.open")
    at.selectbox(key="0.opt.name").set_value("Adam").run()
    healthy(at)
    at.number_input(key="0.opt.lr").set_value(0.5).run()
    healthy(at)
    assert state(at).schedule.optimizer.name == "Adam"
    assert state(at).schedule.optimizer.kwargs["lr"] == 0.5
    assert at.number_input(key="0.opt.lr").value == 0.5  # still open, still showing it


def test_the_trainers_panel_stays_open_when_the_run_leaves_its_plan() -> None:
    at = open_panel(page(), "plan.open")
    at.number_input(key="plan.size").set_value(10_000).run()
    at.button(key="plan.use").click().run()
    healthy(at)
    at.number_input(key=f"{gen(at)}.epochs").set_value(7).run()  # the run is no longer it
    at.number_input(key="plan.devices").set_value(4).run()
    healthy(at)
    assert at.number_input(key="plan.devices").value == 4  # open, the 4 kept


def test_two_pins_of_one_label_get_a_legend_entry_each() -> None:
    """The default label names the schedule, not the run: two pins of StepLR over
    different runs would share a name, and ECharts' legend merges lines of one name."""
    at = page()
    at.button(key="pin.add").click().run()
    at.number_input(key=f"{gen(at)}.epochs").set_value(50).run()
    at.button(key="pin.add").click().run()
    at.number_input(key=f"{gen(at)}.epochs").set_value(70).run()
    healthy(at)
    first, second = (p.label for p in state(at).compare)
    assert first == second
    drawn = names(at)
    assert first in drawn and f"{first} (2)" in drawn


def test_the_paste_box_is_sent_only_once_opened_and_then_holds_the_schedule() -> None:
    at = page()
    assert not at.text_area  # folded: a redraw sends neither the box nor its button
    at.number_input(key="0.p.StepLR.gamma").set_value(0.25).run()
    at = open_panel(at, "paste.open")
    box = next(b for b in at.text_area if b.key.startswith("paste."))
    assert "StepLR(optimizer, step_size=30, gamma=0.25)" in box.value
    at = paste(at, "OneCycleLR(optimizer, max_lr=0.1, total_steps=10000)")
    assert state(at).schedule.scheduler.name == "OneCycleLR"
    assert any(b.key.startswith("paste.") for b in at.text_area)  # stays open


def test_the_pin_label_follows_the_curve_and_keeps_what_is_typed_for_it() -> None:
    at = page()
    assert at.text_input(key="pin.label").value.startswith("StepLR(step_size=30")
    at.number_input(key="0.p.StepLR.gamma").set_value(0.25).run()
    assert "gamma=0.25" in at.text_input(key="pin.label").value  # the new curve's name
    at.text_input(key="pin.label").set_value("my decay").run()
    at.toggle(key=f"{gen(at)}.log").set_value(True).run()  # a view change: same curve
    assert at.text_input(key="pin.label").value == "my decay"
    at.button(key="pin.add").click().run()
    assert [p.label for p in state(at).compare] == ["my decay"]
    at.number_input(key="0.p.StepLR.gamma").set_value(0.5).run()
    assert at.text_input(key="pin.label").value != "my decay"  # not this curve's name
