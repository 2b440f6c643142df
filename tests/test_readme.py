"""The README's example runs and prints what its comments say."""

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
