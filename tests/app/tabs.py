"""Clicking one of the explorer's tabs below the chart, or a folded panel, as the browser
does: only the open tab and the open panels run (st.tabs and st.expander with
on_change, st.popover too), so a test opens what it reads; and pasting code into the
folded paste box."""

from __future__ import annotations

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest


def _block(at: AppTest, kind: str, matches):
    """The proto of the first block of type ``kind`` ("Block" for the tabs,
    "Expandable" for a panel) that ``matches``."""
    todo = [at._tree]
    while todo:
        node = todo.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == kind and matches(proto):
            return proto
        todo += list(getattr(node, "children", {}).values())
    raise AssertionError(f"no such {kind} on the page")


def _click(at: AppTest, widget_id: str, **value) -> AppTest:
    """A rerun with one widget's new value (``string_value=...`` or ``bool_value=...``), the
    page's other widgets as they are: what the browser sends (AppTest has no public click
    for a tab or a panel)."""
    states = WidgetStates()
    for widget in at._tree.get_widget_states().widgets:
        states.widgets.append(widget)
    click = states.widgets.add()
    click.id = widget_id
    for field, v in value.items():
        setattr(click, field, v)
    return at._run(states)


def open_tab(at: AppTest, index: int) -> AppTest:
    """0: the sanity check, 1: the code, 2: the scheduler's card, clicked as the browser
    sends it: the tabs' widget id and the label."""
    tabs = _block(at, "Block", lambda proto: proto.HasField("tab_container"))
    return _click(at, tabs.tab_container.id, string_value=at.tabs[index].label)


def open_panel(at: AppTest, key: str) -> AppTest:
    """Open the folded panel of this key ("opt.open": the optimizer, "plan.open": the
    trainer's settings, "paste.open": the paste box), as a click on it does."""
    panel = _block(at, "Expandable", lambda proto: proto.id.endswith(f"-{key}"))
    return _click(at, panel.id, bool_value=True)


def open_popover(at: AppTest, key: str) -> AppTest:
    """Open the popover of this key ("share.open": the share link), as a click does."""
    popover = _block(at, "Block", lambda proto: proto.HasField("popover")
                     and proto.popover.id.endswith(f"-{key}"))
    return _click(at, popover.popover.id, bool_value=True)


def paste(at: AppTest, code: str) -> AppTest:
    """Open the paste box if it is folded, type ``code`` in it and click Apply: the code
    goes with the click, as a browser sends it."""
    if not any(box.key.startswith("paste.") for box in at.text_area):
        at = open_panel(at, "paste.open")
    next(box for box in at.text_area if box.key.startswith("paste.")).input(code)
    return at.button(key="paste.apply").click().run()
