"""Schedule explorer: design, paste, compare and share a learning-rate schedule."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from schedlab import ScheduleError
from schedlab.present.plot import COLORS, Series, build_figure
from schedlab.present.share import MAX_PINNED, ExplorerState, View, pin_label
from schedlab.spec.horizon import MAX_STEPS, Horizon, MetricSettings
from schedlab.ui import state as session
from schedlab.ui.chart import CSV_ROWS, csv_maker, csv_rows, drawn
from schedlab.ui.editor import Errors, edit_schedule, whole_box
from schedlab.ui.lang import current, links, said, t
from schedlab.ui.page import guarded, setup
from schedlab.ui.pastebox import paste_box
from schedlab.ui.text import LABEL_LIMIT, plain

PIN_ERROR, PIN_NOTE = "explorer.pin_error", "explorer.pin_note"


def run_controls(state: ExplorerState, gen: int, errors: Errors, plateau: bool
                 ) -> tuple[Horizon | None, View, MetricSettings]:
    st.subheader("Run")
    h = state.horizon
    a, b = st.columns(2)
    with a:
        epochs = whole_box("epochs", h.epochs, f"{gen}.epochs", errors, 1, MAX_STEPS)
    with b:
        spe = whole_box("steps per epoch", h.steps_per_epoch, f"{gen}.spe", errors, 1,
                        MAX_STEPS, help="batches per epoch: optimizer.step() calls")
    per = st.segmented_control("scheduler.step() is called once per", ["epoch", "batch"],
                               default=h.step_per, required=True, key=f"{gen}.per",
                               help="Stepping a per-batch schedule per epoch (or the reverse) "
                                    "is a classic mistake: switch to see what it does.")
    errors.slot("epochs")
    horizon = None
    if epochs is not None and spe is not None:
        try:
            horizon = Horizon(epochs, spe, per)
        except ScheduleError as exc:
            errors.show("epochs", said(exc))
    st.subheader("View")
    v = state.view
    x_unit = st.segmented_control("x axis", ["step", "epoch"], default=v.x_unit,
                                  required=True, key=f"{gen}.x",
                                  format_func=lambda u: {"step": "optimizer steps",
                                                         "epoch": "epochs"}[u])
    a, b = st.columns(2)
    log_y = a.toggle("log-scale lr", v.log_y, key=f"{gen}.log")
    momentum = b.toggle("momentum", v.momentum, key=f"{gen}.mom",
                        help="momentum (or Adam's beta1) on the right axis")
    metric = state.metric
    if plateau:
        st.subheader("Synthetic metric")
        st.caption("ReduceLROnPlateau reacts to a validation loss; this one is made up, "
                   "with a plateau where you put it.")
        a, b = st.columns(2)
        noise = a.slider("noise", 0.0, 0.3, metric.noise, 0.01, key=f"{gen}.noise")
        with b:
            seed = whole_box("seed", metric.seed, f"{gen}.seed", errors, 0, 2**32 - 1)
        at = a.slider("plateau starts at", 0.0, 1.0, metric.plateau_at, 0.05, key=f"{gen}.pat")
        length = b.slider("plateau length", 0.0, 1.0, metric.plateau_length, 0.05,
                          key=f"{gen}.plen")
        metric = MetricSettings(metric.seed if seed is None else seed, noise, at, length)
    return horizon, View(x_unit, log_y, momentum), metric


def pin(key: str) -> None:
    state = session.load()
    st.session_state[PIN_ERROR] = st.session_state[PIN_NOTE] = None
    now = (state.schedule, state.horizon, state.metric)
    twin = next((p for p in state.compare if (p.schedule, p.horizon, p.metric) == now), None)
    if twin:  # one line per curve: a second pin of it would only hide the first
        st.session_state[PIN_NOTE] = f"This schedule is pinned already, as {twin.label!r}."
        return
    if len(state.compare) < MAX_PINNED:
        label = (st.session_state.get(key) or "").strip() or pin_label(state)
        if len(label) > LABEL_LIMIT:  # cut, and said so: never dropped or cut silently
            st.session_state[PIN_NOTE] = (f"The label was cut to {LABEL_LIMIT} characters "
                                          f"(it had {len(label):,}).")
            label = label[:LABEL_LIMIT - 1].rstrip() + "…"
        try:
            session.save(state.pin(label))
        except ScheduleError as exc:  # the page would be too costly to draw
            st.session_state[PIN_ERROR] = said(exc)
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
        st.session_state[PIN_ERROR] = said(exc)


def lines(curve, horizon: Horizon, label: str, color_at: int, momentum: bool = True,
          dash: str | None = None) -> list[Series]:
    """The lr of every param group (and the momentum) of a drawn curve."""
    groups = [c for c in curve.lines if c == "lr" or c.startswith("lr_")]
    out = []
    for i, column in enumerate(groups):
        rows, values = curve.lines[column]
        out.append(Series(label if len(groups) == 1 else f"{label} · group {i}", values,
                          horizon, color=COLORS[(color_at + i) % len(COLORS)], dash=dash,
                          legendgroup=label, rows=rows))
    if momentum and "momentum" in curve.lines:
        rows, values = curve.lines["momentum"]
        out.append(Series(f"{label} · momentum", values, horizon, axis="momentum",
                          color=COLORS[color_at % len(COLORS)], dash="dot",
                          legendgroup=label, rows=rows))
    return out


def chart(state: ExplorerState) -> None:
    current = drawn(state.schedule, state.horizon, state.metric)
    plateau = state.schedule.scheduler.info.needs_metric
    now = (state.schedule, state.horizon, state.metric)
    same = [p.label for p in state.compare if (p.schedule, p.horizon, p.metric) == now]
    name = f"current = {same[0]}" if same else "current"  # not drawn twice over itself
    series = lines(current, state.horizon, name, 0, state.view.momentum)
    events = [(series[0], current.events, current.event_lr)]
    seen = [now]
    for p in state.compare:  # each line of each curve gets its own color
        if (p.schedule, p.horizon, p.metric) in seen:  # drawn already (a link may repeat)
            continue
        seen.append((p.schedule, p.horizon, p.metric))
        other = drawn(p.schedule, p.horizon, p.metric)
        used = sum(s.axis == "lr" for s in series)
        series += lines(other, p.horizon, p.label, used, momentum=False, dash="dash")
    if plateau:
        rows, values = current.metric
        series.append(Series("validation metric (synthetic)", values, state.horizon,
                             axis="metric", color="#7f7f7f", rows=rows))
    figure = build_figure(series, events, x_unit=state.view.x_unit, log_y=state.view.log_y,
                          metric_panel=plateau, shades=shades(current.findings, state))
    st.plotly_chart(figure, key="chart", config={
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": "schedlab", "scale": 2}})
    s = current.summary
    cols = st.columns(4)
    cols[0].metric("peak lr", short(s["peak"]))
    cols[1].metric("final lr", short(s["final"]))
    cols[2].metric("mean lr", short(s["mean"]))
    below = "never" if s["below_10pct"] is None else f"{s['below_10pct']:,}"
    cols[3].metric("under 10% from step", below,
                   help="first optimizer step after the peak where the lr is under 10% of it")


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
    worst = "no problems" if not findings else f"{len(findings)} finding" + (
        "s" if len(findings) > 1 else "")
    check, code = st.tabs([f"Sanity check ({worst})", "Code"])
    with check:
        if not findings:
            st.success("No classic mistakes found for this run.", icon=":material/check:")
        for f in findings:
            box = {"error": st.error, "warning": st.warning, "info": st.info}[f.severity]
            message, fix = f.text(current())
            box(f"**{plain(message)}** {plain(fix)}", icon=ICON[f.severity])
    with code:
        h = state.horizon
        script = state.schedule.to_code("script", epochs=h.epochs,
                                        steps_per_epoch=h.steps_per_epoch, step_per=h.step_per)
        st.code(script, language="python", line_numbers=False)
        st.download_button("Download script", script, file_name="schedule.py",
                           mime="text/x-python", on_click="ignore", key="script.download")


def short(value: float) -> str:
    """A number that fits a metric tile: 0.1, 0.03331, 3.12e-04."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def compare_and_share(state: ExplorerState, no_csv: str | None) -> None:
    """The comparison list, the Train link, the CSV (or why there is none) and sharing."""
    with st.container(border=True):
        st.markdown("**Compare**")
        key = f"pin.{hash((state.schedule, state.horizon))}"
        a, b = st.columns([4, 1], vertical_alignment="bottom")
        a.text_input("Label for the comparison", value=pin_label(state), key=key,
                     help=f"up to {LABEL_LIMIT} characters; a longer one is cut")
        full = len(state.compare) >= MAX_PINNED
        b.button("Pin", on_click=pin, args=(key,), disabled=full, key="pin.add",
                 help=f"keep this curve on the chart (up to {MAX_PINNED})", width="stretch")
        if full:
            st.caption(f"{MAX_PINNED} schedules pinned: remove one to pin another.")
        if st.session_state.get(PIN_ERROR):
            st.error(plain(st.session_state[PIN_ERROR]), icon=":material/error:")
        if st.session_state.get(PIN_NOTE):
            st.caption(plain(st.session_state[PIN_NOTE]))
        for i, p in enumerate(state.compare):
            a, b, c = st.columns([6, 1, 1], vertical_alignment="center")
            a.markdown(f"`{i + 1}` {plain(p.label, LABEL_LIMIT)}")
            b.button("Show", key=f"pin.restore.{i}", on_click=restore, args=(i,),
                     help="edit this schedule (it stays pinned)")
            c.button("✕", key=f"pin.remove.{i}", on_click=unpin, args=(i,), help="remove")
        if state.compare:
            st.button("Clear comparison", key="pin.clear", on_click=unpin, args=(None,))
    st.page_link("pages/train.py", label=t("explorer.train-link"),
                 icon=":material/model_training:", help=t("explorer.train-link-help"),
                 query_params=links())
    a, b = st.columns(2)
    too_long = csv_rows(state.horizon) > CSV_ROWS
    if no_csv:  # a button that cannot deliver is worse than a sentence saying why
        a.warning(plain(f"No CSV for this run: {no_csv}"), icon=":material/block:")
    else:
        a.download_button("Download CSV (every step)", data=csv_maker(
            state.schedule, state.horizon, state.metric), file_name="schedlab-curve.csv",
            mime="text/csv", on_click="ignore", key="csv", width="stretch", disabled=too_long)
    if too_long and not no_csv:
        a.caption(f"A CSV holds at most {CSV_ROWS:,} rows (a spreadsheet's limit); this run "
                  f"has {csv_rows(state.horizon):,}. For the whole run: `python -m schedlab "
                  "curve --steps N --format csv` with the code from the Code tab.")
    with b.popover("Share", width="stretch"):
        base = (st.context.url or "").split("?")[0]
        st.caption("This link reopens this view, comparisons included "
                   "(the address bar holds it too):")
        st.code(f"{base}?s={state.encode()}", language=None, wrap_lines=True)


def main() -> None:
    state = session.load()
    gen = session.generation()
    st.title("Schedule explorer")
    if session.link_warning():
        st.warning(f"This link could not be opened: {plain(session.link_warning())}. "
                   "Showing the default schedule instead.", icon=":material/link_off:")
    errors = Errors()
    left, right = st.columns([5, 9], gap="large")
    with left:
        paste_slot = st.container()  # filled below, once this run's schedule is known
        schedule = edit_schedule(state.schedule, gen, errors, state.horizon.scheduler_steps)
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
            st.info("The chart comes back once the field marked on the left holds an "
                    "allowed value.", icon=":material/edit:")
            no_csv = "fix the field marked on the left first"
        else:
            try:
                chart(state)
                sanity_and_code(state)
            except ScheduleError as exc:
                st.error(plain(said(exc)), icon=":material/error:")
                no_csv = said(exc)
        compare_and_share(state, no_csv)
    session.sync_url(state)


setup("explorer")
guarded(main, t("explorer.apology"))
