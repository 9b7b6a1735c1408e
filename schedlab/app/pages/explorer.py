"""Schedule explorer: design, paste, compare and share a learning-rate schedule."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from schedlab import ScheduleError
from schedlab.present.exports import STYLES, export
from schedlab.present.plot import COLORS, Series, build_chart, chart_height
from schedlab.present.share import MAX_PINNED, ExplorerState, View, pin_label
from schedlab.spec.horizon import MAX_STEPS, Horizon, MetricSettings
from schedlab.ui import state as session
from schedlab.ui.chart import CSV_ROWS, csv_maker, csv_rows, drawn
from schedlab.ui.editor import Errors, edit_schedule, whole_box
from schedlab.ui.lang import current, keyed, links, said, say, t, told, ui, words
from schedlab.ui.page import guarded, setup
from schedlab.ui.pastebox import paste_box
from schedlab.ui.planpanel import plan_panel
from schedlab.ui.teaching import scheduler_card, step_cursor
from schedlab.ui.text import LABEL_LIMIT, plain

PIN_ERROR, PIN_NOTE = "explorer.pin_error", "explorer.pin_note"
PIN_LABEL, PIN_FOR = "pin.label", "pin.label.for"  # the label box, and the curve it names
SHARE_OPEN = "share.open"  # the share popover's key
TABS, TAB_AT = "explorer.tabs", "explorer.tab_at"  # the tab below the chart that is open


def run_controls(state: ExplorerState, gen: int, errors: Errors, plateau: bool
                 ) -> tuple[Horizon | None, View, MetricSettings]:
    st.subheader(t("explorer.run.title"))
    h = state.horizon
    a, b = st.columns(2)
    with a:
        epochs = whole_box(t("explorer.run.epochs"), h.epochs, f"{gen}.epochs", errors, 1,
                           MAX_STEPS)
    with b:
        spe = whole_box(t("explorer.run.spe"), h.steps_per_epoch, f"{gen}.spe", errors, 1,
                        MAX_STEPS, help=t("explorer.run.spe-help"))
    per = st.segmented_control(t("explorer.run.per"), ["epoch", "batch"],
                               default=h.step_per, required=True, key=f"{gen}.per",
                               help=t("explorer.run.per-help"))
    errors.slot("epochs")
    horizon = None
    if epochs is not None and spe is not None:
        try:
            horizon = Horizon(epochs, spe, per)
        except ScheduleError as exc:
            errors.show("epochs", said(exc))
    plan_panel(state, errors)
    st.subheader(t("explorer.view.title"))
    v = state.view
    x_unit = st.segmented_control(t("explorer.view.x"), ["step", "epoch"], default=v.x_unit,
                                  required=True, key=keyed(f"{gen}.x"),
                                  format_func=words("explorer.view.x-", ("step", "epoch")))
    row = st.container(horizontal=True, gap="large")  # one block, not three
    log_y = row.toggle(t("explorer.view.log"), v.log_y, key=f"{gen}.log")
    momentum = row.toggle(t("explorer.view.momentum"), v.momentum, key=f"{gen}.mom",
                          help=t("explorer.view.momentum-help"))
    metric = state.metric
    if plateau:
        st.subheader(t("explorer.metric.title"))
        st.caption(t("explorer.metric.caption"))
        a, b = st.columns(2)
        noise = a.slider(t("explorer.metric.noise"), 0.0, 0.3, metric.noise, 0.01,
                         key=f"{gen}.noise")
        with b:
            seed = whole_box(t("explorer.metric.seed"), metric.seed, f"{gen}.seed", errors, 0,
                             2**32 - 1)
        at = a.slider(t("explorer.metric.at"), 0.0, 1.0, metric.plateau_at, 0.05, key=f"{gen}.pat")
        length = b.slider(t("explorer.metric.length"), 0.0, 1.0, metric.plateau_length, 0.05,
                          key=f"{gen}.plen")
        metric = MetricSettings(metric.seed if seed is None else seed, noise, at, length)
    return horizon, View(x_unit, log_y, momentum), metric


def pin(key: str) -> None:
    state = session.load()
    st.session_state[PIN_ERROR] = st.session_state[PIN_NOTE] = None
    now = (state.schedule, state.horizon, state.metric)
    twin = next((p for p in state.compare if (p.schedule, p.horizon, p.metric) == now), None)
    if twin:  # one line per curve: a second pin of it would only hide the first
        st.session_state[PIN_NOTE] = ui("explorer.compare.twin", label=repr(twin.label))
        return
    if len(state.compare) < MAX_PINNED:
        label = (st.session_state.get(key) or "").strip() or pin_label(state)
        if len(label) > LABEL_LIMIT:  # cut, and said so: never dropped or cut silently
            st.session_state[PIN_NOTE] = ui("explorer.compare.cut", most=LABEL_LIMIT,
                                            length=len(label))
            label = label[:LABEL_LIMIT - 1].rstrip() + "…"
        try:
            session.save(state.pin(label))
        except ScheduleError as exc:  # the page would be too costly to draw
            st.session_state[PIN_ERROR] = told(exc)
            st.session_state[PIN_NOTE] = None


def unpin(index: int | None) -> None:
    state = session.load()
    kept = () if index is None else state.compare[:index] + state.compare[index + 1:]
    session.save(replace(state, compare=kept))


def restore(index: int) -> None:
    state = session.load()
    p = state.compare[index]
    st.session_state[PIN_ERROR] = None
    try:
        session.reset_to(replace(state, schedule=p.schedule, horizon=p.horizon,
                                 metric=p.metric))
    except ScheduleError as exc:
        st.session_state[PIN_ERROR] = told(exc)


def lines(curve, horizon: Horizon, label: str, color_at: int, momentum: bool = True,
          dash: str | None = None) -> list[Series]:
    """The lr of every param group (and the momentum) of a drawn curve."""
    groups = [c for c in curve.lines if c == "lr" or c.startswith("lr_")]
    out = []
    for i, column in enumerate(groups):
        rows, values = curve.lines[column]
        out.append(Series(label if len(groups) == 1 else t("explorer.series.group",
                                                            label=label, i=i), values,
                          horizon, color=COLORS[(color_at + i) % len(COLORS)], dash=dash,
                          legendgroup=label, rows=rows))
    if momentum and "momentum" in curve.lines:
        rows, values = curve.lines["momentum"]
        out.append(Series(t("explorer.series.momentum", label=label), values, horizon,
                          axis="momentum",
                          color=COLORS[color_at % len(COLORS)], dash="dot",
                          legendgroup=label, rows=rows))
    return out


def chart(state: ExplorerState) -> None:
    curve = drawn(state.schedule, state.horizon, state.metric)
    plateau = state.schedule.scheduler.info.needs_metric
    now = (state.schedule, state.horizon, state.metric)
    same = [p.label for p in state.compare if (p.schedule, p.horizon, p.metric) == now]
    name = t("explorer.series.current-is", label=same[0]) if same else \
        t("explorer.series.current")  # not drawn twice over itself
    series = lines(curve, state.horizon, name, 0, state.view.momentum)
    events = [(series[0], curve.events, curve.event_lr)]
    seen, names = [now], {name}
    for p in state.compare:  # each line of each curve gets its own color
        if (p.schedule, p.horizon, p.metric) in seen:  # drawn already (a link may repeat)
            continue
        seen.append((p.schedule, p.horizon, p.metric))
        other = drawn(p.schedule, p.horizon, p.metric)
        used = sum(s.axis == "lr" for s in series)
        label, k = p.label, 1
        while label in names:  # the legend merges lines of one name: one entry each
            k += 1
            label = f"{p.label} ({k})"
        names.add(label)
        series += lines(other, p.horizon, label, used, momentum=False, dash="dash")
    if plateau:
        rows, values = curve.metric
        series.append(Series(t("explorer.series.metric"), values, state.horizon,
                             axis="metric", color="#7f7f7f", rows=rows))
    h = state.horizon
    cursor_key = f"cursor.{h.total_steps}"  # a run of another length starts it again
    at = st.session_state.get(cursor_key) if st.session_state.get("cursor.on") else None
    x = None if at is None else at if state.view.x_unit == "step" else at / h.steps_per_epoch
    option = build_chart(series, events, x_unit=state.view.x_unit, log_y=state.view.log_y,
                         metric_panel=plateau, shades=shades(curve.findings, state),
                         cursor=x, lang=current())
    st.echarts_chart(option, key="chart", height=chart_height(plateau),
                     alt=t("explorer.chart-alt", name=state.schedule.scheduler.name))
    s = curve.summary
    with st.container(horizontal=True):  # one block for the four tiles, not five
        st.metric(t("explorer.tile.peak"), short(s["peak"]))
        st.metric(t("explorer.tile.final"), short(s["final"]))
        st.metric(t("explorer.tile.mean"), short(s["mean"]))
        below = t("explorer.tile.never") if s["below_10pct"] is None else \
            f"{s['below_10pct']:,}"
        st.metric(t("explorer.tile.below"), below, help=t("explorer.tile.below-help"))
    step_cursor(state, cursor_key)


SHADE = {"error": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
ICON = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


def shades(findings, state: ExplorerState) -> list[tuple[float, float, str, str]]:
    """Each finding's steps as a shaded band on the chart, in the x axis' unit."""
    h = state.horizon
    scale = 1 if state.view.x_unit == "step" else 1 / h.steps_per_epoch
    return [(f.start * h.stride * scale, (f.end * h.stride - 1) * scale, SHADE[f.severity],
             f.severity) for f in findings[:8]]


def sanity_and_code(state: ExplorerState) -> None:
    findings = drawn(state.schedule, state.horizon, state.metric).findings
    count = len(findings)
    tab = t("explorer.check.tab", count=count) if count > 1 else \
        t("explorer.check.tab-one") if count else t("explorer.check.tab-none")
    name = state.schedule.scheduler.name
    # only the open tab runs (and is sent): the card's formulas and the script cost a
    # redraw nothing while they are not looked at
    labels = [tab, t("explorer.code.tab"), t("explorer.card.tab", name=name)]
    # the open tab is kept by position: a label that changes (a count, a name) keeps it
    st.session_state[TABS] = labels[st.session_state.get(TAB_AT, 0)]
    check, code, about = st.tabs(labels, key=TABS, on_change=_opened, args=(labels,))
    if about.open:
        with about:
            scheduler_card(state, {f.key for f in findings})
    if check.open:
        with check:
            checks(findings)
    if code.open:
        with code:
            script_box(state)


def _opened(shown: list[str]) -> None:
    """A click on a tab (``shown``: the labels the reader saw): remember which one."""
    picked = st.session_state.get(TABS)
    st.session_state[TAB_AT] = shown.index(picked) if picked in shown else 0


def checks(findings) -> None:
    if not findings:
        st.success(t("explorer.check.none"), icon=":material/check:")
    for f in findings:
        box = {"error": st.error, "warning": st.warning, "info": st.info}[f.severity]
        message, fix = f.text(current())
        # the fix on a line of its own: a Chinese message ends in "。", and Markdown leaves
        # "**...。**" unbolded when a character follows the closing stars
        box(f"**{plain(message)}**  \n{plain(fix)}", icon=ICON[f.severity])


CODE_STYLES = ("script", *STYLES)  # a runnable torch script, then the trainers' settings


def script_box(state: ExplorerState) -> None:
    """The schedule as code: a runnable script, or for the HF Trainer, Lightning or timm
    (or, where it does not map to one of those, why)."""
    h = state.horizon
    style = st.radio(t("explorer.code.style"), CODE_STYLES, horizontal=True, key="code.style",
                     format_func=lambda s: t(f"explorer.code.styles.{s}"))
    run = dict(epochs=h.epochs, steps_per_epoch=h.steps_per_epoch, step_per=h.step_per,
               lang=current())
    try:
        code = state.schedule.to_code("script", **run) if style == "script" else \
            export(state.schedule, style, **run)
    except ScheduleError as exc:
        st.info(plain(said(exc)), icon=":material/info:")
        return
    st.code(code, language="python", line_numbers=False)
    name = "schedule.py" if style == "script" else f"schedule_{style}.py"
    st.download_button(t("explorer.code.download"), code, file_name=name,
                       mime="text/x-python", on_click="ignore", key="script.download")


def short(value: float) -> str:
    """A number that fits a metric tile: 0.1, 0.03331, 3.12e-04."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def compare_and_share(state: ExplorerState, no_csv: str | None) -> None:
    """The comparison list, the Train link, the CSV (or why there is none) and sharing."""
    with st.container(border=True):
        st.markdown(f"**{t('explorer.compare.title')}**")
        # one box for the label whatever is drawn (a box of another key each time would be
        # built anew in the browser at every redraw), set to the default label when the
        # curve changes: what was typed for the last curve is not this one's name
        drawn_for = hash((state.schedule, state.horizon))
        if st.session_state.get(PIN_FOR) != drawn_for or PIN_LABEL not in st.session_state:
            st.session_state[PIN_LABEL], st.session_state[PIN_FOR] = pin_label(state), drawn_for
        row = st.container(horizontal=True, vertical_alignment="bottom")  # one block
        row.text_input(t("explorer.compare.label"), key=PIN_LABEL,
                       help=t("explorer.compare.label-help", most=LABEL_LIMIT))
        full = len(state.compare) >= MAX_PINNED
        row.button(t("explorer.compare.pin"), on_click=pin, args=(PIN_LABEL,), disabled=full,
                   key="pin.add", help=t("explorer.compare.pin-help", most=MAX_PINNED))
        if full:
            st.caption(t("explorer.compare.full", most=MAX_PINNED))
        if st.session_state.get(PIN_ERROR):
            st.error(plain(say(st.session_state[PIN_ERROR])), icon=":material/error:")
        if st.session_state.get(PIN_NOTE):
            st.caption(plain(say(st.session_state[PIN_NOTE])))
        for i, p in enumerate(state.compare):
            a, b, c = st.columns([6, 1, 1], vertical_alignment="center")
            a.markdown(f"`{i + 1}` {plain(p.label, LABEL_LIMIT)}")
            b.button(t("explorer.compare.show"), key=f"pin.restore.{i}", on_click=restore,
                     args=(i,), help=t("explorer.compare.show-help"))
            c.button("✕", key=f"pin.remove.{i}", on_click=unpin, args=(i,),
                     help=t("explorer.compare.remove"))
        if state.compare:
            st.button(t("explorer.compare.clear"), key="pin.clear", on_click=unpin,
                      args=(None,))
    st.page_link("pages/train.py", label=t("explorer.train-link"),
                 icon=":material/model_training:", help=t("explorer.train-link-help"),
                 query_params=links())
    a, b = st.columns(2)
    too_long = csv_rows(state.horizon) > CSV_ROWS
    if no_csv:  # a button that cannot deliver is worse than a sentence saying why
        a.warning(plain(t("explorer.csv.none", why=no_csv)), icon=":material/block:")
    else:
        a.download_button(t("explorer.csv.download"), data=csv_maker(
            state.schedule, state.horizon, state.metric), file_name="schedlab-curve.csv",
            mime="text/csv", on_click="ignore", key="csv", width="stretch", disabled=too_long)
    if too_long and not no_csv:
        a.caption(t("explorer.csv.too-long", most=CSV_ROWS, rows=csv_rows(state.horizon)))
    share = b.popover(t("explorer.share.title"), width="stretch", key=SHARE_OPEN,
                      on_change="rerun")
    if share.open:  # the link is written only while it is looked at
        with share:
            base = (st.context.url or "").split("?")[0]
            st.caption(t("explorer.share.caption"))
            st.code(f"{base}?s={state.encode()}&lang={current()}", language=None,
                    wrap_lines=True)


def main() -> None:
    state = session.load()
    gen = session.generation()
    if session.link_warning():
        st.warning(t("explorer.link-warning", why=plain(say(session.link_warning()))),
                   icon=":material/link_off:")
    errors = Errors()
    left, right = st.columns([5, 9], gap="large")
    with left:
        paste_slot = st.container()  # filled below, once this run's schedule is known
        schedule = edit_schedule(state.schedule, gen, errors, state.horizon.scheduler_steps,
                                 state.horizon.step_per == "batch")
        plateau = (schedule or state.schedule).scheduler.info.needs_metric
        horizon, view, metric = run_controls(state, gen, errors, plateau)
    try:
        state = session.update(schedule=schedule or state.schedule,
                               horizon=horizon or state.horizon, view=view, metric=metric)
    except ScheduleError as exc:  # too costly to draw (with the compared schedules)
        errors.show("epochs" if horizon != state.horizon else "scheduler", said(exc))
        state = session.update(view=view)
    with paste_slot:
        paste_box(state)
    with right:
        no_csv = None
        if errors.first:  # never a chart that does not match the boxes beside it
            st.info(t("explorer.chart-waits"), icon=":material/edit:")
            no_csv = t("explorer.csv.fix-first")
        else:
            try:
                chart(state)
                sanity_and_code(state)
            except ScheduleError as exc:
                st.error(plain(said(exc)), icon=":material/error:")
                no_csv = said(exc)
        compare_and_share(state, no_csv)
    session.sync_url(state)


@st.fragment
def body() -> None:
    """Everything under the title: a change in it reruns only this (the navigation and the
    language are drawn once per full run: Streamlit re-sends every element a run draws,
    about half a millisecond of the browser's time each)."""
    guarded(main, t("explorer.apology"))


setup("explorer")
st.title(t("nav.explorer"))  # drawn once per full run, as the navigation
body()
