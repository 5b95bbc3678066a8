"""core/io.py and core/json_stream.py: every container, compression and encoding; streaming splits."""

import gzip
import json

import orjson
import pytest
import zstandard

from core.errors import SieveInputError
from core.io import atomic_writer, inspect_file, iter_records
from core.json_stream import iter_json_array
from core.load import load_dataset

ROWS = [{"instruction": "Say \"hi\" [twice]", "input": "", "output": "hi, hi {ok}"},
        {"instruction": "Escape \\ backslash", "input": "", "output": "\\\"quoted\\\" ünïcödé ✓"},
        {"instruction": "Nested", "input": "", "output": "x", "tags": [["a", "]"], {"k": "}"}]}]


def _chunks(data: bytes, size: int):
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
def test_array_splitter_gives_the_same_records_whatever_the_chunking(chunk_size):
    text = ("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n]\n").encode()
    notes = []
    records = list(iter_json_array(_chunks(text, chunk_size), notes, "x.json"))
    assert [r.value for r in records] == ROWS
    assert [r.line for r in records] == [2, 3, 4]
    assert [r.index for r in records] == [0, 1, 2]
    assert notes == []


def test_array_splitter_pretty_printed_lines_point_at_each_record():
    text = json.dumps(ROWS, indent=2).encode()
    records = list(iter_json_array(_chunks(text, 5), [], "x.json"))
    starts = [i + 1 for i, line in enumerate(text.decode().splitlines()) if line == "  {"]
    assert [r.line for r in records] == starts


def test_wrapper_object_skips_arrays_that_do_not_hold_records():
    text = b'{"tags": ["a", "b"], "empty": [], "rows": [{"instruction": "i", "output": "o"}], "n": 1}'
    notes = []
    records = list(iter_json_array(_chunks(text, 4), notes, "w.json"))
    assert [r.value for r in records] == [{"instruction": "i", "output": "o"}]
    assert notes == ['records are the array under key "rows"']


def test_single_object_is_one_record():
    text = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}'
    notes = []
    (record,) = iter_json_array(_chunks(text, 3), notes, "one.json")
    assert record.value["messages"][1]["content"] == "yo"
    assert notes == ["the file holds one JSON object: read as a single record"]


def test_a_bad_element_is_reported_and_scanning_goes_on():
    text = b'[{"a": 1},\n{"a": tru},\n{"a": 3}]'
    records = list(iter_json_array([text], [], "x.json"))
    assert [r.value for r in records] == [{"a": 1}, None, {"a": 3}]
    assert records[1].line == 2 and records[1].error.startswith("invalid JSON")


def _write(path, data: bytes):
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


JSONL = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS).encode()
ARRAY = json.dumps(ROWS, ensure_ascii=False).encode()


@pytest.mark.parametrize("name,data", [
    ("d.jsonl", JSONL), ("d.jsonl.gz", JSONL), ("d.jsonl.zst", JSONL), ("d.json", ARRAY), ("d.json.gz", ARRAY),
    ("d.json.zst", ARRAY), ("bom.jsonl", b"\xef\xbb\xbf" + JSONL), ("bom.json", b"\xef\xbb\xbf" + ARRAY),
    ("lines.json", JSONL), ("array.jsonl", ARRAY), ("crlf.jsonl", JSONL.replace(b"\n", b"\r\n")),
    ("noeol.jsonl", JSONL.rstrip(b"\n")), ("blanks.jsonl", b"\n\n" + JSONL.replace(b"\n", b"\n\n"))])
def test_every_json_container_and_compression_reads_the_same_rows(tmp_path, name, data):
    path = _write(tmp_path / name, data)
    values = [r.value for r in iter_records(path)]
    assert values == ROWS


def test_content_decides_and_the_evidence_says_so(tmp_path):
    assert inspect_file(_write(tmp_path / "lines.json", JSONL)).notes == ["file named .json holds JSON Lines"]
    assert inspect_file(_write(tmp_path / "arr.jsonl", ARRAY)).notes == ["file named .jsonl holds a JSON array"]
    secretly_gz = tmp_path / "plain.jsonl"
    secretly_gz.write_bytes(gzip.compress(JSONL))
    info = inspect_file(secretly_gz)
    assert info.compression == "gzip"
    assert info.notes == ["content is gzip-compressed although the name does not say so"]


def test_jsonl_line_numbers_count_blank_lines(tmp_path):
    path = _write(tmp_path / "b.jsonl", b'\n{"a": 1}\n\n\n{"a": 2}\n')
    assert [(r.index, r.line) for r in iter_records(path)] == [(0, 2), (1, 5)]


@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz", "d.csv.zst"])
def test_csv_with_bom_embedded_newlines_and_json_cells(tmp_path, name):
    data = ('\ufeffprompt,completion,messages\n"line one\nline two","ok",""\n'
            'plain,"a ""quoted"" word","[{""role"": ""user""}]"\n').encode()
    records = list(iter_records(_write(tmp_path / name, data)))
    assert records[0].value == {"prompt": "line one\nline two", "completion": "ok", "messages": ""}
    assert records[1].value["completion"] == 'a "quoted" word'
    assert records[1].value["messages"] == [{"role": "user"}]
    assert [r.line for r in records] == [2, 4]


@pytest.mark.parametrize("name", ["c.parquet", "c.parquet.gz", "c.parquet.zst"])
def test_parquet_plain_and_compressed(tmp_path, name, fixtures_dir):
    from core.writers import write_dataset
    source = load_dataset(fixtures_dir / "formats" / "alpaca.json")
    write_dataset(source.dataset, tmp_path / name, to="parquet")
    back = load_dataset(tmp_path / name)
    assert back.detection.format == "canonical"
    assert back.dataset.records() == source.dataset.records()


def test_non_parquet_file_holding_parquet_is_read_as_parquet(tmp_path, fixtures_dir):
    from core.writers import write_dataset
    write_dataset(load_dataset(fixtures_dir / "formats" / "dolly.jsonl").dataset, tmp_path / "x.parquet", to="parquet")
    disguised = tmp_path / "x.json"
    disguised.write_bytes((tmp_path / "x.parquet").read_bytes())
    info = inspect_file(disguised)
    assert (info.kind, info.notes) == ("parquet", ["file named .json holds Parquet"])


def test_atomic_writer_leaves_the_old_file_and_no_temp_on_failure(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as fh:
            fh.write(b"half a file")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@pytest.mark.parametrize("name", ["o.jsonl", "o.jsonl.gz", "o.jsonl.zst", "o.json", "o.json.gz"])
def test_writers_compress_by_extension_and_json_is_one_array(tmp_path, name, fixtures_dir):
    from core.writers import write_dataset
    source = load_dataset(fixtures_dir / "formats" / "alpaca.json")
    report = write_dataset(source, tmp_path / name, to="openai")
    assert report.rows == 3
    raw = (tmp_path / name).read_bytes()
    raw = gzip.decompress(raw) if name.endswith(".gz") else zstandard.ZstdDecompressor().decompressobj().decompress(raw) \
        if name.endswith(".zst") else raw
    rows = orjson.loads(raw) if ".json." in name or name.endswith(".json") else [orjson.loads(x) for x in raw.splitlines()]
    assert [r["messages"][-1]["content"] for r in rows][1] == "La bibliothèque ouvre à neuf heures."


def test_write_path_must_match_the_target(tmp_path, fixtures_dir):
    from core.writers import write_dataset
    source = load_dataset(fixtures_dir / "formats" / "alpaca.json")
    with pytest.raises(SieveInputError, match="needs an output name ending in .parquet"):
        write_dataset(source, tmp_path / "x.jsonl", to="parquet")
    with pytest.raises(SieveInputError, match="name the output .jsonl or .json"):
        write_dataset(source, tmp_path / "x.parquet", to="alpaca")


@pytest.mark.parametrize("name,data", [
    ("nan.jsonl", b'{"instruction": "Score?", "input": "", "output": "n/a", "score": NaN}\n'),
    ("nan.json", b'[{"instruction": "Score?", "input": "", "output": "n/a", "score": -Infinity}]')])
def test_nan_written_by_python_json_is_read_as_null_with_a_warning(tmp_path, name, data):
    result = load_dataset(_write(tmp_path / name, data))
    (record,) = result.dataset.records()
    assert record["meta"]["extra"] == {"score": None}
    assert record["meta"]["warnings"] == ["NaN/Infinity in the input read as null"]
    assert result.report.warnings == ["NaN/Infinity in the input read as null (1 records)"]


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("chunk_size", [5, 1 << 20])
def test_array_splitter_fast_path_and_fallback_agree(indent, chunk_size):
    """Records with many nested objects: more likely-looking ends than the fast path tries."""
    rows = [{"id": f"c{i}", "messages": [{"role": "user" if t % 2 == 0 else "assistant",
                                          "content": f"turn {t} }},\n] ok"} for t in range(2 + 5 * i)]}
            for i in range(4)]
    if indent is None:
        text = ("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]").encode()
    else:
        text = json.dumps(rows, indent=indent).encode()
    records = list(iter_json_array(_chunks(text, chunk_size), [], "x.json"))
    assert [r.value for r in records] == rows
    lines = text.decode().splitlines()
    assert [lines[r.line - 1].strip()[:1] for r in records] == ["{"] * 4


@pytest.mark.parametrize("name", ["d.tsv", "d.tsv.gz"])
def test_tsv_reads_like_csv_with_tabs(tmp_path, name):
    data = 'instruction\tinput\toutput\nName a colour.\t\t"Blue, or\nteal."\n'.encode()
    (record,) = iter_records(_write(tmp_path / name, data))
    assert record.value == {"instruction": "Name a colour.", "input": "", "output": "Blue, or\nteal."}


def test_json_array_streams_in_flat_memory():
    """8 MB of array fed in 64 kB chunks: the splitter holds about one chunk, never the document."""
    import tracemalloc
    record = json.dumps({"instruction": "x" * 200, "input": "", "output": "y" * 700}).encode()
    total = 8 << 20

    def chunks():
        yield b"["
        sent, block = 0, b",\n".join([record] * 64) + b",\n"
        while sent < total:
            yield block
            sent += len(block)
        yield record + b"]"

    tracemalloc.start()
    count = sum(1 for _ in iter_json_array(chunks(), [], "big.json"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count > 8000
    assert peak < 1 << 20, f"peak {peak / 2**20:.1f} MB"


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
@pytest.mark.parametrize("name,data", [("t.jsonl", b"\xef\xbb\xbf" + JSONL.replace(b"\n", b"\r\n")),
                                       ("t.json", b"\xef\xbb\xbf" + ARRAY), ("t.csv", b"\xef\xbb\xbfa,b\n\"x\ny\",z\n")])
def test_tiny_read_chunks_split_lines_bom_and_strings_anywhere(tmp_path, monkeypatch, chunk, name, data):
    import core.io
    path = _write(tmp_path / name, data)
    expected = [(r.value, r.line) for r in iter_records(path)]
    monkeypatch.setattr(core.io, "CHUNK", chunk)
    assert [(r.value, r.line) for r in iter_records(path)] == expected
    assert expected and all(v is not None for v, _ in expected)
