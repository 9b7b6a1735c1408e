"""The lambda evaluator gives what Python gives, and refuses everything off the allow-list."""

from __future__ import annotations

import math
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import Lambda, ScheduleError
from tests.torchref import py_lambda

EPOCHS = np.arange(0, 400)

ALLOWED = [
    "lambda epoch: 0.95 ** epoch",
    "lambda e: e // 30",
    "lambda e: e % 7 - 3",
    "lambda step: 1 / step if step > 0 else 1.0",
    "lambda e: min(1.0, (e + 1) / 5) * 0.5 * (1 + math.cos(math.pi * e / 100))",
    "lambda t: 0 < t < 10 and 0.1 or 1",
    "lambda e: True + (e > 3)",
    "lambda e: not e % 3",
    "lambda e: round(e / 7)",
    "lambda e: round(e / 7, 2)",
    "lambda e: max(e, 3, 2.5) / 100",
    "lambda e: -e % 7",
    "lambda e: log(e + 1, 2) + log2(e + 1) + log10(e + 1) + math.log(e + 1)",
    "lambda e: 2 ** -e",
    "lambda e: floor(e / 3) + ceil(e / 3) + int(e / 3.5) + float(e)",
    "lambda e: abs(e - 50) / 50",
    "lambda e: sqrt(e) * exp(-e / 100) + sin(e) * tan(e / 1000)",
    "lambda e: inf if e > 10 ** 3 else pi * e",
    "lambda e: e ** 2 if e < 100 else e ** 0.5",
    "lambda e: 3 ** (e // 50)",
    "lambda e: 0.1 if e < 30 else 0.01 if e < 60 else 0.001",
]


@pytest.mark.parametrize("source", ALLOWED)
def test_allowed_lambdas_agree_with_python(source: str) -> None:
    ours = Lambda(source)
    python = py_lambda(source)
    expected = np.array([float(python(int(x))) for x in EPOCHS])
    np.testing.assert_array_max_ulp(ours.evaluate(EPOCHS), expected, maxulp=4)
    for x in (0, 1, 17, 399):
        assert ours(x) == pytest.approx(python(x), rel=1e-15)
        assert type(ours(x)) is type(python(x)) or isinstance(python(x), float) or \
            source.startswith("lambda e: max")


def test_short_circuit_never_evaluates_the_branch_not_taken() -> None:
    assert Lambda("lambda e: 1 / e if e else 1.0").evaluate(np.arange(3)).tolist() == \
        [1.0, 1.0, 0.5]
    assert Lambda("lambda e: e > 0 and 1 / e").evaluate(np.arange(3)).tolist() == \
        [0.0, 1.0, 0.5]
    assert Lambda("lambda e: 0 < e < 1 / e").evaluate(np.arange(3)).tolist() == [0, 0, 0]


REFUSED = [
    ("lambda e: e.real", "attribute access"),
    ("lambda e: __import__('os').system('ls')", "call not allowed"),
    ("lambda e: open('/etc/passwd')", "call not allowed"),
    ("lambda e: e[0]", "indexing"),
    ("lambda e: [x for x in range(3)]", "comprehension"),
    ("lambda e: (y := 2)", "assignment expressions"),
    ("lambda e: 'abc'", "strings are not allowed"),
    ("lambda e: [0] * 10 ** 9", "lists"),
    ("lambda e=1: e", "default arguments"),
    ("lambda *a: 1", "*args"),
    ("lambda **k: 1", "*args"),
    ("lambda a, b: a", "exactly one argument"),
    ("lambda: 1", "exactly one argument"),
    ("lambda e: (lambda x: x)(e)", "call not allowed"),
    ("lambda e: math.sys", "attribute access"),
    ("lambda e: globals()", "call not allowed"),
    ("lambda e: e @ e", "operator not allowed"),
    ("lambda e: e << 2", "operator not allowed"),
    ("lambda e: e is None", "comparison not allowed"),
    ("lambda e: min(*[e])", "positional"),
    ("lambda e: round(x=e)", "positional"),
    ("lambda e: sqrt(e, 2)", "takes 1"),
    ("lambda e: cos", "must be called"),
    ("lambda e: epoch", "unknown name 'epoch'"),
    ("print('hi')", "expected a lambda"),
    ("lambda e: " + "-(" * 60 + "e" + ")" * 60, "too large"),
    ("lambda e: " + "(" * 300 + "e" + ")" * 300, "not valid Python"),
    ("lambda e: " + "+".join(["e"] * 400), "too large"),
    ("lambda e: " + "x" * 2000, "too long"),
]


@pytest.mark.parametrize("source,message", REFUSED)
def test_refused_constructs_name_the_problem(source: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("*", r"\*")):
        Lambda(source).evaluate(EPOCHS)


RUNTIME_ERRORS = [
    ("lambda e: 9 ** 9 ** 9", "overflow"),
    ("lambda e: 10.0 ** (e * 100)", "e=4.*overflow"),
    ("lambda e: 1 / (e - 5)", "e=5.*division by zero"),
    ("lambda e: e // (e - 2)", "e=2.*division by zero"),
    ("lambda e: log(e)", "e=0.*positive"),
    ("lambda e: sqrt(10 - e)", "e=11.*non-negative"),
    ("lambda e: exp(e)", "e=710.*overflow"),
    ("lambda e: (-1.5) ** (e / 2)", "e=1.*complex"),
    ("lambda e: 0 ** -e", "e=1.*negative power"),
    ("lambda e: floor(inf * e)", "e=0.*NaN"),
    ("lambda e: int(inf + e)", "e=0.*infinity"),
]


@pytest.mark.parametrize("source,message", RUNTIME_ERRORS)
def test_runtime_errors_name_the_epoch(source: str, message: str) -> None:
    """Errors Python would raise come out as ScheduleError, at once, naming the epoch."""
    signal.alarm(10)  # a hang fails the test instead of stalling the suite
    try:
        with pytest.raises(ScheduleError, match=message):
            Lambda(source).evaluate(np.arange(0, 1000))
    finally:
        signal.alarm(0)


def test_equal_lambdas_compare_equal_whatever_the_spacing() -> None:
    assert Lambda("lambda epoch:0.95**epoch") == Lambda("lambda epoch: 0.95 ** epoch")
    assert Lambda("lambda e: e") != Lambda("lambda x: x")


# Random expressions from the allowed grammar, compared with Python itself.
_LEAVES = st.sampled_from(["e", "1", "2", "3", "0.5", "1.5", "7", "pi", "0", "True"])
_BIN = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<", "<=", "==", "!=",
                        " and ", " or "])
_FUNCS = st.sampled_from(["cos", "sin", "exp", "log", "sqrt", "floor", "ceil", "abs",
                          "float", "int", "round"])


def _expr(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return _LEAVES
    sub = _expr(depth - 1)
    return st.one_of(
        _LEAVES,
        st.tuples(sub, _BIN, sub).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(_FUNCS, sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        sub.map(lambda s: f"(-{s})"),
        sub.map(lambda s: f"(not {s})"),
    )


def _python(source: str, x: int):
    try:
        return py_lambda(source)(x)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return "error"


@settings(max_examples=400, deadline=None)
@given(body=_expr(3))
def test_random_expressions_agree_with_python(body: str) -> None:
    source = f"lambda e: {body}"
    xs = [0, 1, 2, 3, 5, 10]
    expected = [_python(source, x) for x in xs]
    if any(isinstance(v, complex) or (isinstance(v, int) and abs(v) > 2**53)
           for v in expected):
        return  # complex results and huge exact integers are outside the documented scope
    for x, want in zip(xs, expected):
        try:
            got = Lambda(source)(x)
        except ScheduleError as exc:  # a complex value on the way is refused, documented
            # so is an integer past 2**53 on the way (``not e ** 3 ** e``): Python's exact
            # int goes through, a float overflows, as it does in Python with e a float
            assert want == "error" or "is complex" in str(exc) or \
                _python(source, float(x)) == "error", f"{source} at {x}: Python gives {want!r}"
            continue
        assert want != "error", f"{source} at {x}: Python raises, we gave {got!r}"
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got)
        else:
            assert float(got) == pytest.approx(float(want), rel=1e-12, abs=1e-300), source
