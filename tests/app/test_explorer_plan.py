"""The run given as a trainer sees it: the optimizer steps it makes, drawn on request,
len(train_loader) read as its batches per device, and a schedule whose length forgot the
gradient accumulation or the devices named as such, in both languages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from schedlab.spec.horizon import Horizon
from tests.app.test_explorer_app import APP, page, state
from tests.app.tabs import open_panel, paste
from tests.markdown import shown


def _plan(at, **values):
    open_panel(at, "plan.open")
    for key, value in values.items():
        at.number_input(key=f"plan.{key}").set_value(value).run()
    return at.button(key="plan.use").click().run()



def test_a_trainers_settings_become_the_run_with_their_arithmetic() -> None:
    at = _plan(page(), size=10_000, batch=32, devices=2, accumulation=4)
    lines = " ".join(shown(m.value) for m in at.markdown)
    assert "10,000 samples / batch size 32, rounded up: 313 batches" in lines
    assert "157 per device (len(train_loader))" in lines  # 313 dealt out to 2
    assert "rounded up: 40 optimizer steps per epoch" in lines
    assert state(at).horizon == Horizon(3, 40, "batch")  # 3 epochs, as the Trainer's default
    assert not at.exception
    at.number_input(key="plan.warmup").set_value(0.06).run()  # the old warmup_ratio
    assert "warmup: 0.06 x 120 steps, rounded up: 8 steps" in " ".join(
        shown(m.value) for m in at.markdown)


def test_a_schedule_that_forgot_the_accumulation_is_named() -> None:
    at = _plan(page(), size=10_000, accumulation=4)
    at = paste(at, "get_linear_schedule_with_warmup(optimizer, 10, len(train_loader) * 3)")
    assert state(at).horizon == Horizon(3, 79, "batch")  # the plan's run is kept
    assert state(at).schedule.scheduler.kwargs["num_training_steps"] == 313 * 3
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "what the plan makes without gradient accumulation" in warning
    assert "stops 25% of the way into the schedule" in warning
    assert any("plan's batches per device (313)" in shown(i.value) for i in at.info)
    at = paste(at, "get_linear_schedule_with_warmup(optimizer, 10, "
                    "len(train_loader) // 4 * 3 + 3)")
    assert not at.warning and "ends with the run" in shown(at.success[-1].value)


def test_the_plan_speaks_chinese() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at = _plan(at.switch_page("pages/explorer.py").run(), size=10_000, devices=8)
    assert "按训练器的设置" in [e.label for e in at.expander]
    assert "个 batch 轮流分给 8 个设备" in " ".join(shown(m.value) for m in at.markdown)
    at = paste(at, "get_cosine_schedule_with_warmup(optimizer, 10, 939)")  # 313 x 3
    said = " ".join(shown(w.value) for w in at.warning)
    assert "是单个设备时的步数" in said and "8 个设备上" in said


def test_a_pasted_configure_optimizers_is_stepped_at_its_interval() -> None:
    """Lightning's configure_optimizers pasted whole: the schedule is read, the run is
    stepped as its "interval" says, and a per-step schedule stepped per epoch is named."""
    code = '''def configure_optimizers(self):
    optimizer = torch.optim.AdamW(self.parameters(), lr=1e-3)
    scheduler = get_linear_schedule_with_warmup(optimizer, 2, 20)
    return {"optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch", "frequency": 1}}
'''
    at = paste(page(), code)
    assert not at.exception and not at.error, [e.value for e in at.error]
    s = state(at)
    assert s.schedule.scheduler.name == "get_linear_schedule_with_warmup"
    assert s.schedule.optimizer.name == "AdamW" and s.horizon.step_per == "epoch"
    said = " ".join(shown(i.value) for i in at.info)
    assert "scheduler.step() once per epoch" in said
    assert "made to be stepped after every optimizer step" in said
    at = paste(at, code.replace('"epoch"', '"step"'))
    assert state(at).horizon.step_per == "batch"
