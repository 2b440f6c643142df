"""The bug zoo: every broken BatchNorm is caught, at the order its bug lives in."""

import json

import pytest

from tinygrad_bn.check import zoo
from tinygrad_bn.cli import main

#: Where each bug lives: a wrong forward or running update shows in the outputs or the
#: state (order 0); a wrong backward in the gradients (1); a double backward that
#: freezes inv_std in the Hessian-vector products (2); one without history at order 3.
EXPECTED_ORDER = {
    "lecture notes: μ and σ constant": 1,
    "only μ constant": 1,
    "only σ² constant": 1,
    "unbiased variance normalizes": 0,
    "running variance updated biased": 0,
    "Keras momentum convention": 0,
    "eval mode uses batch statistics": 0,
    "double backward with inv_std constant": 2,
    "double backward without history": 3,
}


@pytest.fixture(scope="module")
def report():
    return zoo.run()


def test_the_zoo_has_the_nine_bugs(report):
    assert [entry.name for entry in report.entries] == list(EXPECTED_ORDER)


@pytest.mark.parametrize("name", list(EXPECTED_ORDER))
def test_each_entry_is_caught_at_the_order_its_bug_lives_in(report, name):
    entry = next(e for e in report.entries if e.name == name)
    assert entry.caught and entry.order == EXPECTED_ORDER[name], entry
    assert entry.diagnosis and entry.doc


def test_state_bugs_are_caught_by_the_running_statistics(report):
    by = {entry.name: entry.by for entry in report.entries}
    assert by["running variance updated biased"] == "state running_var (training)"
    assert by["Keras momentum convention"].startswith("state running_")
    assert by["eval mode uses batch statistics"] == "output y (eval)"


def test_a_textbook_batchnorm_with_none_of_the_bugs_passes():
    class Right(zoo.entries.Textbook):
        pass

    zoo.ENTRIES["right"] = Right
    try:
        entry = zoo.catch("right")
    finally:
        del zoo.ENTRIES["right"]
    assert not entry.caught, [str(check) for check in entry.checks]


def test_the_command_prints_json_and_exits_0_when_all_are_caught(capsys):
    assert main(["zoo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 9
    for item in data:
        assert {"name", "caught", "order", "diagnosis"} <= set(item) and item["caught"] is True


def test_the_command_prints_a_table(capsys):
    assert main(["zoo", "--entries", "only σ² constant"]) == 0
    out = capsys.readouterr().out
    assert "only σ² constant" in out and "caught" in out and "1 of 1 caught" in out
