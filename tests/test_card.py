"""The model card's commands: lines a reader can run again from the project folder."""

from __future__ import annotations

import shlex
import subprocess
import sys

from jazz.report.card import rerunnable


def test_paths_inside_the_project_become_relative(tmp_path):
    command = f"jazz train {tmp_path}/data/few --from {tmp_path}/models/default --out {tmp_path}/models/mine"
    assert rerunnable(command, tmp_path) == "jazz train data/few --from models/default --out models/mine"


def test_paths_outside_the_project_are_named_as_what_they_are(tmp_path):
    project = tmp_path / "jazz"
    command = f"jazz train {tmp_path}/elsewhere/few ../solos/mine --out models/mine --seed 3"
    assert rerunnable(command, project) == "jazz train path/to/few path/to/mine --out models/mine --seed 3"


def test_relative_paths_and_options_are_kept(tmp_path):
    command = "jazz train path/to/few --out models/mine --card-note 'a note with C/E in it'"
    assert rerunnable(command, tmp_path) == command
    assert rerunnable(f"jazz evaluate ./held-out --model {tmp_path}", tmp_path) == "jazz evaluate held-out --model ."


def test_a_trained_card_records_the_command_from_the_project_folder(tmp_path):
    """Through the real command line, run in a project folder with absolute paths, as a user's shell gives them."""
    from midi_factory import random_walks

    (tmp_path / "data" / "few").mkdir(parents=True)
    random_walks(tmp_path / "data" / "few", 4, 60)
    out = tmp_path / "models" / "mine"
    argv = ["train", str(tmp_path / "data" / "few"), "--out", str(out), "--epochs", "1", "--seq-len", "16",
            "--batch-size", "4", "--hidden", "8", "--layers", "1", "--embedding", "4"]
    subprocess.run([sys.executable, "-m", "jazz.cli", *argv], cwd=tmp_path, check=True, capture_output=True)
    card = (out / "card.md").read_text()
    made = card.split("## How it was made\n```\n")[1].split("\n```")[0]
    assert shlex.split(made)[:5] == ["jazz", "train", "data/few", "--out", "models/mine"]
    assert str(tmp_path) not in card


def test_the_bundled_card_names_no_path_of_the_machine_it_was_made_on():
    """Every command and file in the bundled model's card reads from the project folder, so a reader can rerun it."""
    import re
    from pathlib import Path

    card = (Path(__file__).resolve().parents[1] / "models" / "default" / "card.md").read_text(encoding="utf-8")
    machine = re.findall(r"(?<![\w.])(?:/tmp|/home|/root|/work|/Users|~|\.gpu)(?:/|\b)\S*", card)
    assert not machine, f"the card names paths of the machine it was made on: {machine}"
