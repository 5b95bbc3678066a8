"""`python -m core inspect` and `convert`: output, counts that add up, exit codes 0 / 2 / 1."""

import argparse
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import core.commands
from core.cli import build_parser, main
from core.detect import FORMATS

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_json_has_the_promised_keys(capsys, fixtures_dir):
    code, out, _ = run(capsys, "inspect", str(fixtures_dir / "formats" / "sharegpt.json"), "--json")
    info = json.loads(out)
    assert code == 0
    assert (info["format"], info["confidence"], info["rows"], info["rejected"]) == ("sharegpt", 1.0, 2, 0)
    assert info["roles"] == {"assistant": 4, "user": 3, "tool": 1, "system": 1}
    assert info["turns"] == {"4": 1, "5": 1}
    assert info["warnings"] == ["role 'bing' mapped to assistant (1 records)"]


def test_inspect_text_lists_counts_roles_turns_and_rejects(capsys, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"instruction": "Hi", "input": "", "output": "Hello"}\n{"instruction": "Hi"}\n')
    code, out, _ = run(capsys, "inspect", str(path), "--on-error", "skip")
    assert code == 0
    assert "format      alpaca (confidence" in out
    assert "records     2 read = 1 loaded + 1 rejected" in out
    assert "roles       user 1, assistant 1" in out
    assert "turns       2: 1" in out
    assert "rejected    line 2, record 1, field 'output': missing required field 'output'" in out


def test_inspect_bad_input_exits_2_with_file_line_field(capsys, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"instruction": "Hi", "input": "", "output": "Hello"}\n{"instruction": 3, "output": "x"}\n')
    code, out, err = run(capsys, "inspect", str(path))
    assert code == 2 and out == ""
    assert err == f"error: {path}, line 2, record 1, field 'instruction': expected a string, got number\n"


def test_inspect_format_override_and_oasst_best_path(capsys, fixtures_dir):
    code, out, _ = run(capsys, "inspect", str(fixtures_dir / "formats" / "oasst.jsonl"), "--json",
                       "--format", "oasst", "--oasst-paths", "best")
    info = json.loads(out)
    assert (info["format"], info["input_records"], info["rows"]) == ("oasst", 1, 1)
    assert info["evidence"][0] == "format set by the user: oasst"


def test_convert_prints_counts_losses_and_writes_rejects(capsys, tmp_path, fixtures_dir):
    source = tmp_path / "in.json"
    rows = json.loads((fixtures_dir / "formats" / "sharegpt.json").read_text())
    rows.append({"conversations": [{"from": "human", "value": "no answer"}]})
    source.write_text(json.dumps(rows))
    out_path, rejects = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    code, out, _ = run(capsys, "convert", str(source), str(out_path), "--to", "alpaca", "--on-error", "skip",
                       "--rejected", str(rejects))
    assert code == 0
    assert "read 3 records: 2 loaded + 1 rejected" in out
    assert "wrote 2 conversations" in out
    assert "loss: alpaca: tool calls and tool results cannot be held by Alpaca and were dropped (1 records)" in out
    assert len(out_path.read_text().splitlines()) == 2
    (reject,) = [orjson.loads(x) for x in rejects.read_bytes().splitlines()]
    assert (reject["record"], reject["field"], reject["reason"]) == (2, "conversations", "conversation has no assistant turn")


def test_convert_default_rejects_path_and_raise_mode_leaves_no_output(capsys, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c"}\n')
    code, _, err = run(capsys, "convert", str(source), str(tmp_path / "o.jsonl"))
    assert code == 2 and "line 2, record 1, field 'completion'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # nothing half-written
    code, _, err = run(capsys, "convert", str(source), str(tmp_path / "o.jsonl"), "--on-error", "skip")
    assert code == 0 and (tmp_path / "o.jsonl.rejected.jsonl").exists()


@pytest.mark.parametrize("to,name", [("openai", "o.jsonl"), ("sharegpt", "o.json"), ("alpaca", "o.jsonl.zst"),
                                     ("parquet", "o.parquet")])
def test_convert_then_inspect_reads_the_target(capsys, tmp_path, fixtures_dir, to, name):
    out_path = tmp_path / name
    code, _, _ = run(capsys, "convert", str(fixtures_dir / "formats" / "alpaca.json"), str(out_path), "--to", to)
    assert code == 0
    code, out, _ = run(capsys, "inspect", str(out_path), "--json")
    expected = {"openai": "openai", "sharegpt": "sharegpt", "alpaca": "alpaca", "parquet": "canonical"}[to]
    assert json.loads(out)["format"] == expected and json.loads(out)["rows"] == 3


def test_internal_error_exits_1_without_traceback(capsys, tmp_path, fixtures_dir, monkeypatch):
    import core.formats.alpaca

    def broken(conv):
        raise KeyError("a bug inside core")
    monkeypatch.setattr(core.formats.alpaca, "from_conversation", broken)
    monkeypatch.delenv("SIEVE_DEBUG", raising=False)
    code, _, err = run(capsys, "convert", str(fixtures_dir / "formats" / "dolly.jsonl"), str(tmp_path / "o.jsonl"),
                       "--to", "alpaca")
    assert code == 1
    assert err == "internal error: KeyError: 'a bug inside core' (set SIEVE_DEBUG=1 for the traceback)\n"
    assert not (tmp_path / "o.jsonl").exists()


def test_help_from_the_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "usage: python -m core" in proc.stdout


COMMANDS = sorted(m.name for m in pkgutil.iter_modules(core.commands.__path__))


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0 and f"usage: python -m core {command}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["inspect", "convert", "score", "topics", "dedup"])
def test_commands_that_read_a_dataset_share_the_load_options(command):
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    options = {a.option_strings[0]: a for a in sub.choices[command]._actions if a.option_strings}
    assert options["--format"].choices == FORMATS
    assert options["--on-error"].choices == ("raise", "skip")
    assert options["--oasst-paths"].choices == ("all", "best")


def test_module_entry_point_exit_code_for_bad_input(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    proc = subprocess.run([sys.executable, "-m", "core", "inspect", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {path}: file is empty (0 bytes): no records to load\n"
