"""Clicking one of the explorer's tabs below the chart, or a folded panel, as the browser
does: only the open tab and the open panels run (st.tabs and st.expander with
on_change), so a test opens what it reads."""

from __future__ import annotations

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest


def _tabs_id(at: AppTest) -> str:
    todo = [at._tree]
    while todo:
        node = todo.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Block" and \
                proto.HasField("tab_container"):
            return proto.tab_container.id
        todo += list(getattr(node, "children", {}).values())
    raise AssertionError("no tabs on the page")


def open_tab(at: AppTest, index: int) -> AppTest:
    """0: the sanity check, 1: the code, 2: the scheduler's card. The click is sent as the
    browser sends it: the tabs' widget id and the label, the page's other widgets as they
    are (AppTest has no public click for a tab)."""
    states = WidgetStates()
    for widget in at._tree.get_widget_states().widgets:
        states.widgets.append(widget)
    click = states.widgets.add()
    click.id, click.string_value = _tabs_id(at), at.tabs[index].label
    return at._run(states)


def _expander_id(at: AppTest, key: str) -> str:
    todo = [at._tree]
    while todo:
        node = todo.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Expandable" and \
                proto.id.endswith(f"-{key}"):
            return proto.id
        todo += list(getattr(node, "children", {}).values())
    raise AssertionError(f"no panel {key!r} that opens on the page")


def open_panel(at: AppTest, key: str) -> AppTest:
    """Open the folded panel of this key ("opt.open": the optimizer, "plan.open": the
    trainer's settings), as a click on it does."""
    states = WidgetStates()
    for widget in at._tree.get_widget_states().widgets:
        states.widgets.append(widget)
    click = states.widgets.add()
    click.id, click.bool_value = _expander_id(at, key), True
    return at._run(states)
