"""The README's example runs and prints what its comments say; its commands are the CLI's."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_the_ten_line_example_runs():
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(code.strip().splitlines()) <= 10
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})
    gradcheck_ok, compare_ok, sums = printed.getvalue().splitlines()
    assert gradcheck_ok == "True" and compare_ok == "True"
    assert all(abs(float(v)) < 1e-12 for v in sums.strip("[]").split())


def _commands():
    """The command column of the README's Commands table, with ``\\|`` unescaped."""
    table = README.read_text(encoding="utf-8").split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [row.split("` |")[0].removeprefix("| `").replace("\\|", "|") for row in table.splitlines()
            if row.startswith("| `")]


def test_every_command_runs_from_the_venv_without_activating_it_with_options_the_cli_has():
    from tinygrad_bn.cli import SUBCOMMANDS, build_parser

    commands = _commands()
    assert [command.split()[1] for command in commands] == list(SUBCOMMANDS)
    for command in commands:
        program, subcommand, *words = command.split()
        assert program == ".venv/bin/tinygrad-bn"
        parser = build_parser(subcommand)
        chosen = next(action for action in parser._subparsers._group_actions).choices[subcommand]
        options = {option for action in chosen._actions for option in action.option_strings}
        mentioned = {word.strip("[]").split("=")[0] for word in words if word.strip("[]").startswith("--")}
        assert mentioned <= options, f"{command}: the CLI has no {sorted(mentioned - options)}"
