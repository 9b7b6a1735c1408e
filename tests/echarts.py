"""What an ECharts chart on the page drew, read from its live instance (for browser tests
and benchmarks): Streamlit keeps the instance in a React ref of the chart's element."""

# the chart's instance, found from its element's React fiber (null before the first chart)
INSTANCE = """(() => {
  const el = document.querySelector('[data-testid="stEChartsChart"][_echarts_instance_]');
  if (!el) return null;
  let fiber = el[Object.keys(el).find(k => k.startsWith('__reactFiber'))];
  for (let depth = 0; fiber && depth < 40; depth++, fiber = fiber.return) {
    for (let hook = fiber.memoizedState, i = 0; hook && typeof hook === 'object' && i < 100;
         hook = hook.next, i++) {
      const held = hook.memoizedState;
      if (held && held.current && typeof held.current.getModel === 'function')
        return held.current;
    }
  }
  return null;
})()"""

# every series drawn: name, kind ("line", "scatter") and its points (gaps left out)
SERIES = """() => {
  const chart = INSTANCE;
  const model = chart && chart.getModel();
  if (!model) return null;
  return model.getSeries().map(s => {
    const data = s.getData(), x = data.mapDimension('x'), y = data.mapDimension('y');
    const xs = [], ys = [];
    for (let i = 0; i < data.count(); i++) {
      const v = data.get(y, i);
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      xs.push(data.get(x, i));
      ys.push(v);
    }
    return {name: s.name, kind: s.subType, x: xs, y: ys};
  });
}""".replace("INSTANCE", INSTANCE)

# the y values of the first line (the current curve's lr), or null before the first chart
FIRST_Y = f"() => {{ const all = ({SERIES})(); return all && all.length ? all[0].y : null; }}"
# the last y value of the first line, or null: cheap enough to run on every animation
# frame of ten pages at once (the instance kept while it lives, the data read from its end)
LAST_Y = """() => {
  let chart = window.__schedlabChart;
  if (!chart || chart.isDisposed()) chart = window.__schedlabChart = INSTANCE;
  const model = chart && chart.getModel();
  const line = model && model.getSeries()[0];
  if (!line) return null;
  const data = line.getData(), y = data.mapDimension('y');
  for (let i = data.count() - 1; i >= 0; i--) {
    const v = data.get(y, i);
    if (v !== null && v !== undefined && !Number.isNaN(v)) return Number(v);
  }
  return null;
}""".replace("INSTANCE", INSTANCE)

def option_of(at) -> dict:
    """The ECharts option the page sent (AppTest), its tables decoded into DataFrames."""
    import json

    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    (element,) = at.get("echarts_chart")
    proto = element.proto
    option = json.loads(proto.spec)
    tables = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets}
    for dataset in option.get("dataset", []):
        dataset["source"] = tables[dataset["source"]["name"]]
    option["_bytes"] = len(proto.spec) + sum(len(d.data.data) for d in proto.datasets)
    return option


def lines_of(option: dict) -> dict:
    """Each line's name -> (x, y) as ECharts reads them from the tables (gaps dropped)."""
    import numpy as np

    out = {}
    for series in option["series"]:
        if series["type"] == "line" and "datasetIndex" in series:  # not the marks' series
            table = option["dataset"][series["datasetIndex"]]["source"]
            y = table[series["encode"]["y"]].to_numpy()
            ok = ~np.isnan(y)
            out[series["name"]] = (table["x"].to_numpy()[ok], y[ok])
    return out


def charts(at) -> int:
    """How many charts the page drew (AppTest)."""
    return len(at.get("echarts_chart"))


def marks_of(option: dict) -> dict:
    """The series that holds the chart's shades, cursor and phase lines ({} if none)."""
    from schedlab.present.plot import MARKS

    return next((s for s in option["series"] if s["name"] == MARKS), {})
