"""core/load.py: ids, streaming batches, counts, progress, the bundled sample."""

import json

import pyarrow as pa
import pytest

from core.load import iter_batches, load_dataset, load_sample, sample_files
from core.schema import CANONICAL_SCHEMA


def _jsonl(tmp_path, rows, name="d.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _alpaca(i, **extra):
    return {"instruction": f"Add {i} and {i}.", "input": "", "output": str(2 * i), **extra}


def test_ids_come_from_the_input_else_the_record_index(tmp_path):
    rows = [_alpaca(0, id="a"), _alpaca(1), _alpaca(2, uuid="u-2"), _alpaca(3, id=17)]
    records = load_dataset(_jsonl(tmp_path, rows)).dataset.records()
    assert [r["id"] for r in records] == ["a", "1", "u-2", "17"]
    assert [r["meta"].get("id_field") for r in records] == ["id", None, "uuid", "id"]


def test_repeated_ids_get_a_suffix_and_a_warning_never_a_merge(tmp_path):
    rows = [_alpaca(0, id="x"), _alpaca(1, id="x"), _alpaca(2, id="x#2"), _alpaca(3, id="x"), _alpaca(4, id="1")]
    result = load_dataset(_jsonl(tmp_path, rows))
    ids = result.dataset.ids
    # the explicit "x#2" later in the batch is respected, so the second "x" becomes "x#3"
    assert ids == ["x", "x#3", "x#2", "x#4", "1"]
    assert result.dataset.records()[1]["meta"]["warnings"] == ["id 'x' is repeated: renamed 'x#3'"]
    assert "repeated ids renamed with a #n suffix (2 records)" in result.report.warnings


def test_repeated_ids_across_batches(tmp_path):
    rows = [_alpaca(i, id=f"k{i % 3}") for i in range(7)]
    tables = list(iter_batches(_jsonl(tmp_path, rows), batch_size=2))
    ids = [i for t in tables for i in t.column("id").to_pylist()]
    assert ids == ["k0", "k1", "k2", "k0#2", "k1#2", "k2#2", "k0#3"]


def test_index_ids_do_not_collide_with_explicit_ids(tmp_path):
    rows = [_alpaca(0, id="1"), _alpaca(1)]  # record 1 has no id: its index "1" is taken
    assert load_dataset(_jsonl(tmp_path, rows)).dataset.ids == ["1", "1#2"]


def test_iter_batches_streams_fixed_size_canonical_tables_and_reports_at_the_end(tmp_path):
    rows = [_alpaca(i) for i in range(25)] + [{"instruction": 1, "output": "bad"}]
    rejected = []
    reader = iter_batches(_jsonl(tmp_path, rows), on_error="skip", batch_size=10, on_reject=rejected.append)
    assert reader.detection.format == "alpaca"
    tables = list(reader)
    assert [t.num_rows for t in tables] == [10, 10, 5]
    assert all(t.schema == CANONICAL_SCHEMA for t in tables)
    assert (reader.report.input_records, reader.report.loaded, len(reader.report.rejected)) == (26, 25, 1)
    assert [r.record for r in rejected] == [25]


def test_progress_callback_counts_records(tmp_path):
    calls = []
    load_dataset(_jsonl(tmp_path, [_alpaca(i) for i in range(3)]), on_progress=lambda d, t, m: calls.append((d, t)))
    assert calls == [(3, 3)]  # a file smaller than the sample: the total is exact


def test_progress_total_is_estimated_from_the_sample(tmp_path):
    calls = []
    path = _jsonl(tmp_path, [_alpaca(i % 10) for i in range(1000)])
    reader = iter_batches(path, batch_size=400)
    reader.on_progress = lambda d, t, m: calls.append((d, t))
    list(reader)
    assert [d for d, _ in calls] == [400, 800, 1000]
    assert all(abs(t - 1000) <= 20 for _, t in calls)


def test_source_name_replaces_a_temporary_upload_path(tmp_path):
    path = _jsonl(tmp_path, [_alpaca(0), {"instruction": 2, "output": "x"}], name="tmp123.jsonl")
    result = load_dataset(path, on_error="skip", options={"source_name": "my_upload.jsonl"})
    assert result.report.rejected[0].file == "my_upload.jsonl"
    assert result.dataset.records()[0]["meta"]["source_file"] == "my_upload.jsonl"


def test_load_sample_combines_every_sample_file_with_unique_ids():
    files = sample_files()
    if not files:
        pytest.skip("sample_data/ has no data files yet")
    result = load_sample()
    assert len(result.detection.evidence) == len(files)
    formats = {e.split(": ")[1].split(" ")[0] for e in result.detection.evidence}
    assert result.detection.format == (formats.pop() if len(formats) == 1 else "mixed")
    report = result.report
    assert report.input_records == report.loaded + len(report.rejected)
    assert result.dataset.num_rows == report.conversations
    assert len(set(result.dataset.ids)) == result.dataset.num_rows


def test_load_sample_from_a_folder_skips_readme_and_python(tmp_path, fixtures_dir):
    for name in ("alpaca.json", "dolly.jsonl"):
        (tmp_path / name).write_bytes((fixtures_dir / "formats" / name).read_bytes())
    (tmp_path / "README.md").write_text("# sample")
    (tmp_path / "build.py").write_text("print('x')")
    result = load_sample(tmp_path)
    assert result.detection.format == "mixed"
    assert result.detection.evidence == ["alpaca.json: alpaca (1.00)", "dolly.jsonl: dolly (1.00)"]
    assert result.dataset.num_rows == 5
    assert result.dataset.ids == ["0", "1", "2", "0#2", "1#2"]  # unique across files, never merged
    assert result.report.warnings == ["dolly.jsonl: repeated ids renamed with a #n suffix (2 records)"]


def test_errors_name_the_upload_not_its_temporary_path(tmp_path):
    from core.errors import SieveInputError
    path = tmp_path / "tmp-x1.json"
    path.write_text('[{"instruction": "a", "output": "b"},\n{"instruction": "c", "out')
    with pytest.raises(SieveInputError) as info:
        load_dataset(path, options={"source_name": "team_data.json"})
    assert str(info.value).startswith("team_data.json, line 2, record 1: truncated JSON")
    path.write_text("[{]")
    with pytest.raises(SieveInputError) as info:
        load_dataset(path, options={"source_name": "team_data.json"})
    assert str(info.value).startswith("team_data.json")


def test_bad_option_is_a_config_error(tmp_path):
    from core.errors import SieveConfigError
    with pytest.raises(SieveConfigError, match="oasst_paths must be 'all' or 'best'"):
        load_dataset(_jsonl(tmp_path, [_alpaca(0)]), options={"oasst_paths": "longest"})


def test_parquet_total_comes_from_its_metadata(tmp_path):
    from core.writers import write_dataset
    write_dataset(load_dataset(_jsonl(tmp_path, [_alpaca(i) for i in range(250)])), tmp_path / "d.parquet",
                  to="parquet")
    assert iter_batches(tmp_path / "d.parquet").estimated_records == 250


def test_rejections_past_the_limit_keep_a_short_raw_but_callbacks_get_it_whole(tmp_path, monkeypatch):
    import core.load
    monkeypatch.setattr(core.load, "KEEP_RAW_REJECTIONS", 2)
    rows = [{"instruction": 1, "output": "x" * 500} for _ in range(4)]
    streamed = []
    reader = iter_batches(_jsonl(tmp_path, rows), on_error="skip", on_reject=streamed.append)
    list(reader)
    full = len(json.dumps(rows[0]))
    assert [len(r.raw) for r in reader.report.rejected] == [full, full, 200, 200]
    assert [len(r.raw) for r in streamed] == [full] * 4
    assert reader.report.input_records == len(reader.report.rejected) == 4


def test_rejects_file_streams_and_is_only_created_when_needed(tmp_path):
    import orjson

    from core.load import RejectsFile
    with RejectsFile(tmp_path / "none.jsonl") as rejects:
        list(iter_batches(_jsonl(tmp_path, [_alpaca(0)]), on_error="skip", on_reject=rejects.write))
    assert not (tmp_path / "none.jsonl").exists()
    path = _jsonl(tmp_path, [_alpaca(0), {"instruction": 2}], name="bad.jsonl")
    with RejectsFile(tmp_path / "some.jsonl") as rejects:
        list(iter_batches(path, on_error="skip", on_reject=rejects.write))
    (row,) = [orjson.loads(x) for x in (tmp_path / "some.jsonl").read_bytes().splitlines()]
    assert (row["line"], row["field"], rejects.count) == (2, "instruction", 1)
