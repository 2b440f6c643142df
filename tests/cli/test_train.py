"""``tinygrad-bn train``: options, progress, JSON summary, checkpoint and plot,
resuming a run."""

import errno
import io
import json
import math
import sys

import pytest

import tinygrad_bn.train
from tinygrad_bn import Tensor, serialization
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
    assert resumed["epochs"] == 4 and resumed["checkpoint"] == str(tmp_path / "resumed" / "mlp-fused-moons-2.npz")
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


# Mistakes and failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("--seed", "-1", "an integer >= 0, got '-1'"),
        ("--epochs", "0", "an integer >= 1, got '0'"),
        ("--hidden", "wide", "an integer >= 1, got 'wide'"),
        ("--batch-size", "-3", "an integer >= 1, got '-3'"),
        ("--lr", "0", "a finite number > 0, got '0'"),
        ("--lr", "nan", "a finite number > 0, got 'nan'"),
    ],
)
def test_a_bad_value_exits_2_with_one_line_naming_the_option(capsys, tmp_path, option, value, expected):
    with pytest.raises(SystemExit) as exit_info:
        main([*TINY, "--out", str(tmp_path), option, value])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err == f"tinygrad-bn train: argument {option}: expected {expected} (see tinygrad-bn train --help)\n"
    assert not list(tmp_path.iterdir())


def test_a_model_too_large_for_the_memory_is_refused_up_front(capsys, tmp_path):
    assert main(["train", "--hidden", "1000000", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "epoch" not in err
    assert "the mlp with hidden=1000000 and batch_size=64 needs about 10.9 TiB to train" in err
    assert "choose a smaller --hidden" in err
    assert not list(tmp_path.iterdir())  # the name reserved for its checkpoint is given back


def test_a_diverging_run_stops_with_the_epoch_and_step_and_no_warnings(capsys, tmp_path):
    assert main([*TINY, "--out", str(tmp_path), "--lr", "1e9"]) == 1
    err = capsys.readouterr().err
    assert "Warning" not in err and "Traceback" not in err
    assert "tinygrad-bn train: the training loss became nan at epoch 1, step " in err
    assert err.rstrip().endswith("no epoch had ended")
    assert not list(tmp_path.iterdir())


def test_a_loss_gone_non_finite_keeps_the_last_good_checkpoint(capsys, tmp_path, monkeypatch):
    real_step, real_end = tinygrad_bn.train.train_step, ProgressBar.end_epoch
    ended = []

    def nan_after_the_first_epoch(*args):
        loss, logits = real_step(*args)
        return (Tensor(math.nan) if ended else loss), logits

    monkeypatch.setattr(tinygrad_bn.train, "train_step", nan_after_the_first_epoch)
    monkeypatch.setattr(ProgressBar, "end_epoch", lambda bar, record: ended.append(real_end(bar, record)))
    assert main([*TINY, "--out", str(tmp_path), "--epochs", "3"]) == 1
    checkpoint = tmp_path / "mlp-fused-moons.npz"
    err = capsys.readouterr().err
    assert "became nan at epoch 2, step 1 of 10: training stopped" in err
    assert err.rstrip().endswith(f"the last good checkpoint is {checkpoint}")
    _, metadata = load_checkpoint(checkpoint)
    assert len(metadata["history"]) == 1


def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(capsys, tmp_path, monkeypatch):
    real_write, writes = serialization.write_archive, []

    def full_after_one(handle, members):
        writes.append(1)
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(handle, members)

    monkeypatch.setattr(serialization, "write_archive", full_after_one)
    assert main([*TINY, "--out", str(tmp_path), "--epochs", "2"]) == 1
    checkpoint = tmp_path / "mlp-fused-moons.npz"
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (f"tinygrad-bn train: [Errno 28] cannot write {checkpoint}: No space left on device; "
                   f"the last good checkpoint is {checkpoint}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mlp-fused-moons.npz"]
    assert len(load_checkpoint(checkpoint)[1]["history"]) == 1


# Runs keep their own checkpoints ---------------------------------------------------------


def test_a_taken_name_gets_a_numbered_sibling(capsys, tmp_path):
    first, _ = train(capsys, tmp_path)
    kept = open(first["checkpoint"], "rb").read()
    second, _ = train(capsys, tmp_path, "--seed", "1")
    third, _ = train(capsys, tmp_path, "--seed", "2")
    assert [second["checkpoint"], third["checkpoint"]] == [str(tmp_path / "mlp-fused-moons-2.npz"),
                                                          str(tmp_path / "mlp-fused-moons-3.npz")]
    assert second["plot"] in (None, str(tmp_path / "mlp-fused-moons-2-loss.png"))
    assert open(first["checkpoint"], "rb").read() == kept


def test_resume_writes_beside_the_checkpoint_unless_out_says_otherwise(capsys, tmp_path):
    first, _ = train(capsys, tmp_path / "a")
    kept = open(first["checkpoint"], "rb").read()
    beside, _ = train(capsys, tmp_path / "elsewhere", "--resume", first["checkpoint"], "--epochs", "2")
    assert beside["checkpoint"] == str(tmp_path / "elsewhere" / "mlp-fused-moons.npz")
    code = main(["train", "--resume", first["checkpoint"], "--epochs", "2", "--json"])
    resumed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and resumed["checkpoint"] == str(tmp_path / "a" / "mlp-fused-moons-2.npz")
    again = main(["train", "--resume", resumed["checkpoint"], "--epochs", "3", "--json"])
    assert again == 0 and json.loads(capsys.readouterr().out.strip().splitlines()[-1])["checkpoint"].endswith("-3.npz")
    assert open(first["checkpoint"], "rb").read() == kept


def test_out_naming_a_file_is_refused_before_training(capsys, tmp_path):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main([*TINY, "--out", str(taken)]) == 2
    assert capsys.readouterr().err == f"tinygrad-bn train: argument --out: {taken} is a file, not a directory\n"
    assert taken.read_text() == "mine"
