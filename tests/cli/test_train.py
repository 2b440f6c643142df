"""``tinygrad-bn train``: options, progress, JSON summary, checkpoint and plot,
resuming a run."""

import io
import json
import sys

import pytest

from tinygrad_bn.cli import main
from tinygrad_bn.cli.train import ProgressBar
from tinygrad_bn.train import EpochRecord, load_checkpoint

TINY = ["train", "--dataset", "moons", "--epochs", "1", "--batch-size", "32", "--hidden", "8"]


def train(capsys, tmp_path, *extra):
    code = main([*TINY, "--out", str(tmp_path), "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out.strip().splitlines()[-1]), captured.err


def test_json_summary_is_the_last_line_and_matches_the_checkpoint(capsys, tmp_path):
    summary, progress = train(capsys, tmp_path)
    assert {"test_accuracy", "train_loss", "epochs", "seconds"} <= set(summary)
    assert summary["epochs"] == 1 and summary["dataset"] == "moons" and summary["norm"] == "fused"
    assert 0 <= summary["test_accuracy"] <= 1 and summary["seconds"] > 0
    assert summary["history"][0]["train_loss"] == summary["train_loss"]
    model, metadata = load_checkpoint(summary["checkpoint"])
    assert summary["checkpoint"] == str(tmp_path / "mlp-fused-moons.npz")
    assert metadata["test_accuracy"] == summary["test_accuracy"]
    assert "epoch 1/1 [" in progress and "loss" in progress and "test loss" in progress


def test_same_seed_same_numbers(capsys, tmp_path):
    first, _ = train(capsys, tmp_path, "--seed", "3")
    again, _ = train(capsys, tmp_path, "--seed", "3")
    for key in ("train_loss", "test_loss", "test_accuracy", "train_accuracy"):
        assert first[key] == again[key]


def test_options_reach_the_job(capsys, tmp_path):
    summary, _ = train(capsys, tmp_path, "--norm", "none", "--lr", "0.2", "--momentum", "0", "--seed", "5")
    assert (summary["norm"], summary["lr"], summary["momentum"], summary["seed"]) == ("none", 0.2, 0.0, 5)
    assert summary["checkpoint"].endswith("mlp-none-moons.npz")


def test_the_schedule_reaches_the_job_and_the_history_shows_each_lr(capsys, tmp_path):
    summary, _ = train(capsys, tmp_path, "--schedule", "cosine", "--epochs", "2", "--lr", "0.2")
    assert summary["schedule"] == "cosine"
    assert [record["lr"] for record in summary["history"]] == pytest.approx([0.2, 0.1])


def test_loss_curves_are_a_png_when_matplotlib_is_installed(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    summary, _ = train(capsys, tmp_path)
    with open(summary["plot"], "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_there_is_no_plot_and_no_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import fail
    summary, _ = train(capsys, tmp_path)
    assert summary["plot"] is None
    assert not list(tmp_path.glob("*.png"))


def test_without_json_a_sentence_ends_the_output(capsys, tmp_path):
    assert main([*TINY, "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("test accuracy ")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "cnn"], "the cnn model needs images of shape (C, H, W), got samples of shape (2,)"),
        (["--epochs", "0"], "epochs must be a positive integer, got 0"),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--batch-size", "5000"], "leaves no batch of a dataset of 320 samples"),
    ],
)
def test_bad_choices_exit_with_a_message(capsys, tmp_path, extra, message):
    assert main([*TINY, "--out", str(tmp_path), *extra]) == 2
    assert message in capsys.readouterr().err


def test_progress_bar_redraws_on_a_terminal_and_prints_once_elsewhere():
    record = EpochRecord(epoch=2, lr=0.1, train_loss=0.5, train_accuracy=0.75, test_loss=0.25, test_accuracy=0.875,
                         seconds=1.5)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    final = "epoch 2/3 [####] 2/2  loss 0.5000  acc  75.0%  | test loss 0.2500  acc  87.5%    1.5 s\n"
    for stream, carriage_returns in ((io.StringIO(), 0), (Terminal(), 3)):
        bar = ProgressBar(epochs=3, stream=stream, width=4)
        bar.step(2, 1, 2, 0.6, 0.5)
        bar.step(2, 2, 2, 0.5, 0.75)
        bar.end_epoch(record)
        text = stream.getvalue()
        assert text.count("\r") == carriage_returns
        assert text.split("\r")[-1] == final


# Resuming ----------------------------------------------------------------------------


def without_time(summary):
    return [{**record, "seconds": 0} for record in summary["history"]]


def test_resume_trains_the_saved_run_on_to_the_epochs_in_all(capsys, tmp_path):
    first, _ = train(capsys, tmp_path / "resumed", "--epochs", "2")
    # TINY repeats the checkpoint's settings, which is allowed
    resumed, progress = train(capsys, tmp_path / "resumed", "--resume", first["checkpoint"], "--epochs", "4")
    straight, _ = train(capsys, tmp_path / "straight", "--epochs", "4")
    assert resumed["epochs"] == 4 and resumed["checkpoint"] == first["checkpoint"]
    assert without_time(resumed) == without_time(straight)
    assert without_time(resumed)[:2] == without_time(first)
    assert "epoch 3/4" in progress and "epoch 1/4" not in progress


def test_an_interrupted_cosine_run_resumes_where_it_stopped(capsys, tmp_path, monkeypatch):
    cosine = ["--schedule", "cosine", "--epochs", "3"]
    straight, _ = train(capsys, tmp_path / "straight", *cosine)

    def interrupt(self, record):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(ProgressBar, "end_epoch", interrupt)
        assert main([*TINY, *cosine, "--out", str(tmp_path / "stopped")]) == 130
    checkpoint = str(tmp_path / "stopped" / "mlp-fused-moons.npz")
    resumed, _ = train(capsys, tmp_path / "stopped", "--resume", checkpoint, "--epochs", "3")
    assert without_time(resumed) == without_time(straight)


@pytest.mark.parametrize(
    "first_run, resume_with, message",
    [
        ([], ["--lr", "0.5", "--norm", "none"], "norm 'fused' in the checkpoint, 'none' asked for; lr 0.1"),
        ([], [], "has trained up to epoch 1, and epochs=1 counts the epochs in all: ask for more than 1"),
        (["--schedule", "cosine"], ["--epochs", "2"], "so it resumes with epochs=1, not 2"),
    ],
)
def test_resume_refuses_what_does_not_continue_the_run(capsys, tmp_path, first_run, resume_with, message):
    first, _ = train(capsys, tmp_path, *first_run)
    assert main(["train", "--resume", first["checkpoint"], "--out", str(tmp_path), *resume_with]) == 2
    assert message in capsys.readouterr().err


def test_resuming_a_missing_file_is_an_error(capsys, tmp_path):
    assert main(["train", "--resume", str(tmp_path / "nothing.npz"), "--out", str(tmp_path)]) == 2
    assert "No such file" in capsys.readouterr().err


def test_help_says_that_epochs_counts_those_resumed(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "passes over the training set in all (with --resume, counting those done)" in text
    assert "--resume CHECKPOINT" in text
