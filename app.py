"""schedlab landing page: paste a scheduler, see the learning rate torch will use."""

import streamlit as st

from schedlab import ScheduleError, compute_curve, parse_schedule

PREVIEW_MAX_STEPS = 20_000  # the landing preview draws every point; the explorer decimates

st.set_page_config(page_title="schedlab", page_icon="📉", layout="wide")


@st.cache_data(max_entries=64, show_spinner=False)
def preview(scheduler: str, optimizer: str, steps: int):
    return compute_curve(parse_schedule(scheduler, optimizer), steps)


st.title("schedlab")
st.caption("See exactly what a PyTorch learning-rate schedule does, step by step: "
           "the values are torch's own, computed for the whole run at once.")

left, right = st.columns([2, 3])
with left:
    optimizer = st.text_input("Optimizer", "SGD(model.parameters(), lr=0.1, momentum=0.9)")
    scheduler = st.text_area("Scheduler", "CosineAnnealingLR(optimizer, T_max=100)",
                             height=120)
    steps = int(st.number_input("Steps (scheduler.step() calls + 1)", min_value=1,
                                max_value=PREVIEW_MAX_STEPS, value=100))
with right:
    try:
        curve = preview(scheduler, optimizer, steps)
    except ScheduleError as exc:
        st.error(str(exc))
    except Exception as exc:  # never a bare traceback in the page
        st.error("Sorry, something unexpected went wrong drawing this schedule.")
        with st.expander("Details"):
            st.code(f"{type(exc).__name__}: {exc}")
    else:
        lrs = [c for c in curve.columns if c.startswith("lr")]
        st.line_chart(curve, x="step", y=lrs, x_label="step", y_label="learning rate")
        last = curve.iloc[-1]
        a, b, c = st.columns(3)
        a.metric("peak lr", f"{curve['lr'].max():.4g}")
        b.metric("final lr", f"{last['lr']:.4g}")
        c.metric("mean lr", f"{curve['lr'].mean():.4g}")
