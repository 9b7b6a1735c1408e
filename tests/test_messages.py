"""Messages with codes: every sentence is rendered from a key and its values, in one place."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from schedlab import ScheduleError, check_schedule, compute_curve, parse_schedule
from schedlab.messages import LANGUAGES, Text, catalog, placeholders, render
from schedlab.present.share import ExplorerState
from schedlab.spec.horizon import Horizon

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("schedlab/**/*.py"))
ERRORS = {"SchedlabError", "ScheduleError", "ConfigError", "LinkError", "DataError",
          "StoreError"}
# raise sites saying an English sentence itself (code "text.any"), which a Chinese page
# would show in English: none is left, and a new one must come with a key of its own
LITERAL_RAISES_AT_MOST = 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_is_a_well_formed_format_string(lang) -> None:
    for key, template in catalog(lang).items():
        assert isinstance(template, str) and template.strip(), key
        list(string.Formatter().parse(template))  # raises on a stray brace


def _calls():
    """(file:line, keys, value names) of every message made with a literal key: finding()
    (its message and fix), Text() and the errors' code=... (the value names None where
    they are not written out)."""
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "finding" and len(node.args) >= 2 and \
                    isinstance(node.args[1], ast.Constant):
                key = f"finding.{node.args[1].value}"  # its message and fix share the values
                yield where, (f"{key}.message", f"{key}.fix"), {k.arg for k in node.keywords}
            elif name == "Text" and node.args and isinstance(node.args[0], ast.Constant):
                given = node.args[1] if len(node.args) > 1 else None
                yield where, (node.args[0].value,), _names(given)
            elif name == "t" and node.args and isinstance(node.args[0], ast.Constant):
                kw = {k.arg for k in node.keywords}  # the page's words: t("home.intro")
                yield where, (f"ui.{node.args[0].value}",), None if None in kw else kw
            elif name in ERRORS:
                kw = {k.arg: k.value for k in node.keywords}
                if isinstance(kw.get("code"), ast.Constant):
                    yield where, (kw["code"].value,), _names(kw.get("params"))


def _names(node: ast.expr | None) -> set[str] | None:
    if node is None:
        return set()
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {k.value for k in node.keys}
    return None  # built elsewhere: not checkable here


def test_every_key_the_code_uses_exists_with_exactly_the_values_given() -> None:
    words, calls, problems = catalog("en"), list(_calls()), []
    assert len(calls) >= 40  # the walk does find them (finding, Text, code=...)
    for where, keys, values in calls:
        missing = [key for key in keys if key not in words]
        if missing:
            problems.append(f"{where}: no message {missing[0]!r} in schedlab/locale/en.toml")
            continue
        wanted = set().union(*(placeholders(words[key]) for key in keys))
        if values is not None and wanted != values:
            problems.append(f"{where}: {keys[0]!r} takes {sorted(wanted)}, given "
                            f"{sorted(values)}")
    assert not problems, "\n".join(problems)


def test_no_new_error_says_its_sentence_without_a_code() -> None:
    literal = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ERRORS and \
                    node.args:  # raised or built to be raised (by a helper) alike
                literal.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(literal) <= LITERAL_RAISES_AT_MOST, (
        f"{len(literal)} errors raised with an English sentence instead of a code= and its "
        f"params (at most {LITERAL_RAISES_AT_MOST}): give the new one a key in "
        "schedlab/locale/en.toml")


def test_an_errors_text_is_its_message_with_code_and_values() -> None:
    with pytest.raises(ScheduleError) as caught:
        Horizon(100_000, 1_000, "batch")
    error = caught.value
    assert error.code == "error.run.too-long" and error.param == "epochs"
    assert error.params == {"epochs": 100_000, "per_epoch": 1_000, "most": 10_000_000}
    assert str(error) == error.text.render("en") == (
        "100,000 epochs x 1,000 steps is more than 10,000,000 optimizer steps")
    with pytest.raises(ScheduleError) as caught:  # a message inside a message keeps its code
        parse_schedule("StepLR(optimizer, gamma=0.5)")
    error = caught.value
    assert error.code == "error.parse.at-line" and error.params["line"] == 1
    assert isinstance(error.params["error"], Text) and str(error) == error.text.render("en")
    assert str(error).startswith("scheduler line 1: ") and "step_size" in str(error)


def test_a_link_error_keeps_the_code_of_what_was_wrong_inside() -> None:
    from schedlab.errors import LinkError

    with pytest.raises(LinkError) as caught:
        ExplorerState.decode("not-a-link!")
    assert caught.value.code.startswith("error.link.") and str(caught.value)


def test_a_finding_is_said_from_its_code_and_values() -> None:
    schedule = parse_schedule("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, "
                              "total_iters=10), CosineAnnealingLR(optimizer, T_max=20)], "
                              "milestones=[5])")
    found = {f.code: f for f in check_schedule(schedule, 100, 10, "epoch")}
    cut = found["warmup-cut"]
    assert cut.text("en") == (cut.message, cut.fix)
    assert cut.params["parent"] == "SequentialLR" and cut.params["m"] == 5
    assert "milestones=[10]" in cut.fix
    rises = found["cosine-rises"]
    assert isinstance(rises.params["unit"], Text) and rises.to_dict()["params"]["unit"] == \
        "epochs"  # JSON gets the words, in English


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_says_every_message_with_the_same_values(lang) -> None:
    english, other = catalog("en"), catalog(lang)
    assert sorted(set(english) - set(other)) == [], f"missing in {lang}"
    assert sorted(set(other) - set(english)) == [], f"only in {lang}"
    differ = [key for key in english
              if _formats(english[key]) != _formats(other[key])]
    assert not differ, f"placeholders differ in {lang}: {differ}"


def _formats(template: str) -> list[tuple[str, str]]:
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(template)
                  if name)


def test_a_key_written_twice_is_refused(tmp_path, monkeypatch) -> None:
    from importlib import resources

    from schedlab import messages

    (tmp_path / "en.toml").write_text('[a]\nb = "one"\n')
    (tmp_path / "en.extra.toml").write_text('[a]\nb = "two"\n')
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    messages.catalog.cache_clear()
    try:
        with pytest.raises(KeyError, match="written twice"):
            messages.catalog("en")
    finally:
        monkeypatch.undo()
        messages.catalog.cache_clear()


def test_render_refuses_an_unknown_language_and_key() -> None:
    with pytest.raises(KeyError):
        render("finding.lr-constant.message", {"n": 3}, lang="xx")
    with pytest.raises(KeyError):
        render("no.such.key")


def test_a_stored_message_comes_back_in_any_language_and_old_words_stay_readable() -> None:
    from schedlab.messages import stored, unstored

    text = Text("run.error.kept", {"error": Text("run.end.shutdown")})
    back = unstored(stored(text))
    assert back == text and back.render("zh") == "收到关闭请求；已保存的指标都会保留"
    assert str(unstored("words from an older store")) == "words from an older store"
    assert str(unstored('{"$key": broken')) == '{"$key": broken'
    assert stored(None) is None and unstored(None) is None


@pytest.mark.parametrize("code, english, chinese", [
    ("LambdaLR(optimizer, lambda e: e[0])", "indexing is not allowed", "不允许索引"),
    ("LambdaLR(optimizer, lambda e: 1 / (e - 3))", "fails at e=3: division by zero",
     "在 e=3 时出错：除以零"),
    ("StepLR(optimizer, step_size=sqrt(-1))", "fails: sqrt needs a non-negative argument",
     "出错：sqrt 的参数不能为负"),
    ("LambdaLR(optimizer, lambda e: min(e))", "min() takes 2 to 64 argument(s)",
     "min() 接受 2 到 64 个参数"),
])
def test_a_lambdas_refusal_is_said_in_both_languages(code, english, chinese) -> None:
    with pytest.raises(ScheduleError) as caught:
        compute_curve(parse_schedule(code), 10)
    assert english in str(caught.value)
    zh = caught.value.text.render("zh")
    assert chinese in zh and english not in zh


def test_torchs_own_refusal_is_quoted_in_a_chinese_sentence() -> None:
    from schedlab.engine.oracle import build_torch

    with pytest.raises(ScheduleError) as caught:
        build_torch(parse_schedule("StepLR(optimizer, 5)", "SGD(params, lr=0.1, nesterov=True)"))
    assert str(caught.value).startswith("torch rejects SGD: ")
    assert caught.value.text.render("zh").startswith("torch 拒绝了 SGD：")
