"""Recipe YAML: validation errors name the key and its line; plugins only with an explicit flag."""

import pytest

from core.errors import SieveConfigError
from core.recipe import Recipe
from core.steps import build_step

GOOD = """\
version: 1
name: strict
steps:
  - kind: metric
    name: refusal
  - kind: filter
    name: threshold
    params:
      column: refusal_score
      max: 0.5
  - kind: filter
    name: regex
    params: {pattern: "As an AI", mode: must_not_match}
export:
  format: sharegpt
  split: {validation_fraction: 0.1, seed: 7}
"""


def test_round_trip_through_yaml():
    recipe = Recipe.from_yaml(GOOD)
    assert [s.name for s in recipe.steps] == ["refusal", "threshold", "regex"]
    assert recipe.export.format == "sharegpt" and recipe.export.split.seed == 7
    again = Recipe.from_yaml(recipe.to_yaml())
    assert again == recipe
    steps = again.build_steps()
    assert steps[1] == build_step("filter", "threshold", {"column": "refusal_score", "max": 0.5})


def test_unknown_top_level_key_names_key_and_line():
    with pytest.raises(SieveConfigError) as err:
        Recipe.from_yaml(GOOD.replace("name: strict", "nmae: strict"), "r.yaml")
    assert "r.yaml, line 2: nmae: unknown key 'nmae'" in str(err.value)


def test_unknown_step_parameter_names_key_and_line():
    with pytest.raises(SieveConfigError) as err:
        Recipe.from_yaml(GOOD.replace("      max: 0.5", "      max: 0.5\n      maximum: 3"), "r.yaml")
    assert "r.yaml, line 11: steps.1.params.maximum: unknown key 'maximum'" in str(err.value)


def test_unknown_key_in_a_step_and_in_export():
    with pytest.raises(SieveConfigError, match=r"line 6: steps.0.parms: unknown key 'parms'"):
        Recipe.from_yaml(GOOD.replace("    name: refusal", "    name: refusal\n    parms: {}"))
    with pytest.raises(SieveConfigError, match=r"line 15: export.fromat: unknown key 'fromat'"):
        Recipe.from_yaml(GOOD.replace("  format: sharegpt", "  fromat: sharegpt"))


def test_bad_values_and_unknown_steps_are_reported_with_lines():
    with pytest.raises(SieveConfigError, match=r"line 10: steps.1.params.max: Input should be a valid number"):
        Recipe.from_yaml(GOOD.replace("max: 0.5", "max: high"))
    with pytest.raises(SieveConfigError, match=r"line 7: steps.1.name: unknown filter step 'treshold'"):
        Recipe.from_yaml(GOOD.replace("name: threshold", "name: treshold"))
    with pytest.raises(SieveConfigError, match=r"line 1: version: Input should be 1"):
        Recipe.from_yaml(GOOD.replace("version: 1", "version: 2"))
    with pytest.raises(SieveConfigError, match="not valid YAML"):
        Recipe.from_yaml("steps: [unclosed")


def test_filter_before_its_metric_is_an_error_naming_the_metric():
    without_metric = GOOD.replace("  - kind: metric\n    name: refusal\n", "")
    with pytest.raises(SieveConfigError, match=r"line 4: steps.0: filter 'threshold' needs the column "
                                                r"'refusal_score': add the metric 'refusal' before it"):
        Recipe.from_yaml(without_metric)


PLUGIN = """\
version: 1
steps:
  - kind: filter
    name: plugin
    params: {function: "my_checks:has_citation"}
"""


def test_plugin_refused_without_the_flag():
    with pytest.raises(SieveConfigError, match=r"line 3: steps.0: the 'plugin' filter runs Python code; "
                                                r"it is allowed only from the CLI with --allow-plugins"):
        Recipe.from_yaml(PLUGIN, "upload.yaml")
    recipe = Recipe.from_yaml(PLUGIN, allow_plugins=True)
    with pytest.raises(SieveConfigError, match="--allow-plugins"):
        recipe.build_steps()  # a recipe built in code is checked again when it runs
    assert recipe.build_steps(allow_plugins=True)[0].function == "my_checks:has_citation"


def test_cli_refuses_plugin_without_flag(tmp_path, capsys):
    from core.cli import main
    path = tmp_path / "r.yaml"
    path.write_text(PLUGIN)
    code = main(["run", str(path), "--input", "in.jsonl", "--output", str(tmp_path / "out.jsonl")])
    assert code == 2
    assert "--allow-plugins" in capsys.readouterr().err


def test_the_documented_example_recipe_is_valid():
    from pathlib import Path
    recipe = Recipe.load(Path(__file__).resolve().parent.parent / "examples" / "recipe.yaml")
    kinds = [s.kind for s in recipe.build_steps()]
    assert kinds.count("dedup") == 2 and kinds[-1] == "filter" and recipe.export.split.validation_fraction == 0.05


def test_stratify_column_must_be_computed():
    text = GOOD.replace("split: {validation_fraction: 0.1, seed: 7}",
                        "split: {validation_fraction: 0.1, seed: 7, stratify_by: json_state}")
    with pytest.raises(SieveConfigError, match=r"line 16: export.split.stratify_by: the column 'json_state' is not "
                                                r"computed by any step: add the metric 'validity'"):
        Recipe.from_yaml(text)
    ok = text.replace("  - kind: metric\n    name: refusal\n", "  - kind: metric\n    name: refusal\n  - {kind: metric, name: validity}\n")
    assert Recipe.from_yaml(ok).export.split.stratify_by == "json_state"


def test_cli_runs_a_plugin_with_the_flag(tmp_path, monkeypatch, capsys):
    import json

    from core.cli import main
    (tmp_path / "my_checks.py").write_text(
        "import numpy as np\nfrom core.schema import role_texts\n"
        "def has_citation(table):\n    return np.array(['[1]' in t for t in role_texts(table)])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "a", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "see [1]"}]}\n'
                    '{"id": "b", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "trust me"}]}\n')
    recipe = tmp_path / "r.yaml"
    recipe.write_text(PLUGIN)
    code = main(["run", str(recipe), "--input", str(data), "--output", str(tmp_path / "out.jsonl"),
                 "--allow-plugins", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kept_rows"] == 1 and summary["by_reason"] == {"plugin my_checks:has_citation": 1}
