"""The Inspect charts' selection events map back to the right dataset rows."""

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.metrics.entropy import Entropy
from core.metrics.language import Language
from core.metrics.length import TextLength, TokenLength
from core.steps import ColumnSpec
from ui import inspect_views
from ui.inspect_views import axis_title, selected_groups, selected_rows


def event(*points):
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_histogram_bins_map_through_each_traces_rows():
    # Trace 0 holds rows 0, 2, 5 (row 1, 3, 4 had no value); trace 1 holds rows 1 and 4.
    traces = [np.array([0, 2, 5]), np.array([1, 4])]
    picked = selected_rows(event({"curve_number": 0, "point_indices": [1, 2]},
                                 {"curve_number": 1, "point_indices": [0]}), traces)
    assert picked.tolist() == [1, 2, 5]


def test_scatter_points_use_point_index_and_nothing_selected_is_empty():
    rows = np.array([10, 20, 30])
    assert selected_rows(event({"curve_number": 0, "point_index": 2}), [rows]).tolist() == [30]
    assert selected_rows(None, [rows]).tolist() == []
    assert selected_rows(event(), [rows]).tolist() == []
    # A selection from before a redraw that left fewer points: the points that still exist count.
    assert selected_rows(event({"curve_number": 0, "point_indices": [1, 7]}), [rows]).tolist() == [20]


def test_a_selected_bar_or_cell_stands_for_all_its_rows():
    groups = [np.array([3, 1]), np.array([0]), np.array([2, 4])]
    bars = event({"curve_number": 2, "point_index": 0}, {"curve_number": 0, "point_index": 0})
    assert selected_groups(bars, groups, by="curve_number").tolist() == [1, 2, 3, 4]
    cells = event({"curve_number": 0, "point_index": 1})
    assert selected_groups(cells, groups, by="point_index").tolist() == [0]


def test_charts_use_the_metrics_labels_with_the_unit_once():
    specs = inspect_views.specs_of([Entropy(), TokenLength(), TextLength(), Language()])
    assert axis_title(specs["total_tokens"]) == "Total tokens (mistral)"
    assert axis_title(specs["response_chars"]) == "Response characters"
    assert axis_title(specs["response_entropy_bits"]) == "Response entropy (bits)"
    assert axis_title(specs["response_top_2gram_char_frac"]) == "Top 2-gram character share"
    assert axis_title(specs["prompt_language_score"]) == "Prompt language confidence (probability)"
    assert axis_title(ColumnSpec(name="json_state", dtype="category", description="d")) == "Json state"


def test_bars_share_one_colour_unless_a_category_has_its_own(monkeypatch):
    drawn = []
    monkeypatch.setattr(inspect_views.st, "plotly_chart", lambda fig, **kw: drawn.append(fig) or None)
    frame = pd.DataFrame({"id": list("abcde"), "lang": ["python", "sql", "rust", "python", "sql"],
                          "state": ["valid", "broken", "none", "valid", "valid"]})
    inspect_views.bar_counts(frame, "lang", key="k1")
    inspect_views.bar_counts(frame, "state", key="k2", colors=inspect_views.STATE_COLORS)
    plain, states = drawn
    assert {bar.marker.color for bar in plain.data} == {inspect_views.BAR_COLOR}
    assert {bar.x[0]: bar.marker.color for bar in states.data} == {
        "valid": inspect_views.STATE_COLORS["valid"], "broken": inspect_views.STATE_COLORS["broken"],
        "none": inspect_views.STATE_COLORS["none"]}
    assert [bar.y[0] for bar in states.data] == [3, 1, 1]
    assert isinstance(plain, go.Figure)


def test_the_largest_value_falls_in_the_last_bin_not_a_bin_of_its_own(monkeypatch):
    drawn = []
    monkeypatch.setattr(inspect_views.st, "plotly_chart", lambda fig, **kw: drawn.append(fig) or None)
    spec = ColumnSpec(name="response_toxicity", dtype="float", unit="probability", bins=40, description="d")
    frame = pd.DataFrame({"id": list("abcd"), "response_toxicity": [0.0, 0.3, 0.99, 1.0]})
    inspect_views.histogram(frame, ["response_toxicity"], {"response_toxicity": spec}, key="h")
    bins = drawn[0].data[0].xbins
    assert math.floor((1.0 - bins.start) / bins.size) == 39  # plotly divides: 1.0 lands in the 40th bin, as in numpy
