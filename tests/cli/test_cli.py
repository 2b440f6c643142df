"""The command line: ``python -m tinygrad_bn`` lists its subcommands and runs bench."""

import json
import subprocess
import sys

import pytest

from tinygrad_bn.cli import main


def _run(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_bn", *args], capture_output=True, text=True, timeout=timeout
    )


def test_help_lists_the_subcommands():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("train", "graph", "compare", "bench"):
        assert command in result.stdout


def test_no_subcommand_prints_help_and_fails():
    result = _run()
    assert result.returncode == 2
    assert "bench" in result.stdout


@pytest.mark.parametrize("command", ["train", "graph", "compare", "bench"])
def test_each_subcommand_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: tinygrad-bn " + command in result.stdout


def test_unknown_subcommand_is_an_error():
    result = _run("fly")
    assert result.returncode == 2
    assert "invalid choice: 'fly'" in result.stderr


def test_bench_overhead_prints_json():
    result = _run("bench", "overhead", "--rounds", "1", "--json")
    assert result.returncode == 0, result.stderr
    overhead = json.loads(result.stdout)["overhead"]
    assert overhead["per_op_seconds"]["tinygrad_bn"] > 0


@pytest.mark.parametrize("rounds", ["0", "-2", "many"])
def test_bench_rounds_must_be_positive(rounds, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "overhead", "--rounds", rounds])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"tinygrad-bn bench: argument --rounds: expected an integer >= 1, got '{rounds}' "
        "(see tinygrad-bn bench --help)\n"
    )
