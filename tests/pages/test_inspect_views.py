"""The Inspect charts' selection events map back to the right dataset rows."""

import numpy as np

from ui.inspect_views import selected_groups, selected_rows


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


def test_a_selected_bar_or_cell_stands_for_all_its_rows():
    groups = [np.array([3, 1]), np.array([0]), np.array([2, 4])]
    bars = event({"curve_number": 2, "point_index": 0}, {"curve_number": 0, "point_index": 0})
    assert selected_groups(bars, groups, by="curve_number").tolist() == [1, 2, 3, 4]
    cells = event({"curve_number": 0, "point_index": 1})
    assert selected_groups(cells, groups, by="point_index").tolist() == [0]
