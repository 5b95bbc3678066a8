import pyarrow as pa
import pytest

from core.metrics.summary import compute_summary, distribution, summarize
from tests.metrics.inspect_records import conversation, table_of


def test_distribution_hand_computed():
    stats = distribution([1, 2, 3, 4, 100])
    assert stats["mean"] == 22.0 and stats["p50"] == 3.0 and stats["max"] == 100.0
    assert stats["p90"] == pytest.approx(4 + 0.6 * 96)  # linear interpolation between 4 and 100
    assert distribution([]) == {"mean": None, "p50": None, "p90": None, "p95": None, "p99": None, "max": None}


def test_summarize_reads_only_the_columns_present():
    table = pa.table({"json_state": ["valid", "broken", "none", "valid"],
                      "code_state": ["none", "invalid", "valid", "unchecked"]})
    summary = summarize(table)
    assert summary["json"] == {"rows_with_json": 3, "valid": 2, "broken": 1, "valid_json_pct": 66.7}
    assert summary["code"]["valid_code_pct"] == 50.0 and summary["code"]["rows_with_code"] == 3
    assert "tokens" not in summary and "languages" not in summary


def test_compute_summary_end_to_end():
    table = table_of(conversation("Give me JSON for a cat.", '{"animal": "cat",}'),
                     conversation("Give me JSON for a dog.", '{"animal": "dog"}'),
                     conversation("Describe the weather in Paris today please.", "It is sunny and warm in Paris today."))
    summary = compute_summary(table, "cl100k")
    assert summary["rows"] == 3 and summary["tokenizer"] == "cl100k"
    assert summary["json"]["valid_json_pct"] == 50.0
    assert summary["languages"]["response"]["en"] >= 1
    assert set(summary["tokens"]) == {"prompt", "response", "total"}
    assert summary["entropy"]["mean_response_entropy_bits"] > 0


def test_inspect_json_carries_the_metrics_summary(tmp_path, capsys):
    import json

    from core.cli import main

    path = tmp_path / "tiny.jsonl"
    rows = [{"messages": [{"role": "user", "content": "Give me JSON for a cat."},
                          {"role": "assistant", "content": '{"animal": "cat",}'}]},
            {"messages": [{"role": "user", "content": "Say something nice about the weather today."},
                          {"role": "assistant", "content": "What a lovely sunny morning it is today!"}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["inspect", str(path), "--json", "--tokenizer", "cl100k"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["rows"] == 2 and info["metrics"]["tokenizer"] == "cl100k"
    assert info["metrics"]["json"] == {"rows_with_json": 1, "valid": 0, "broken": 1, "valid_json_pct": 0.0}
    assert main(["inspect", str(path), "--json", "--no-metrics"]) == 0
    assert "metrics" not in json.loads(capsys.readouterr().out)
