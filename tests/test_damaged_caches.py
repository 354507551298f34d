"""Damaged caches are found and rebuilt with a note, never read as data: the parse cache, the token cache
and the file index; and the index keeps every concurrent run's entries."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_factory import random_walks

import jazz
from jazz.midi.corpus import ENTRY_MAGIC, cache_dir, load_corpus, scan_corpus
from jazz.midi.file_index import FileIndex
from jazz.model.token_cache import load_token_corpus, token_dir
from jazz.model.tokens import Tokenizer

TOK = Tokenizer()
DAMAGE = {"truncated": lambda data: data[: len(data) // 2], "garbage": lambda data: bytes(len(data)),
          "empty": lambda data: b""}


@pytest.fixture
def walks(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "walks").mkdir()
    return random_walks(tmp_path / "walks", 4, 80)


def solos_of(folder: Path) -> list:
    return sorted((s.name, s.notes, s.bars, s.chords) for s in load_corpus([folder]).solos)


def damage(path: Path, how: str) -> None:
    path.write_bytes(DAMAGE[how](path.read_bytes()))


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_parse_cache_entry_is_parsed_again(walks, how, capsys):
    good = solos_of(walks)
    entries = sorted(cache_dir().glob("*/*.parse"))
    damage(entries[0], how)
    capsys.readouterr()
    assert solos_of(walks) == good
    assert f"note: the parse cache entry {entries[0]} was damaged" in capsys.readouterr().err
    assert solos_of(walks) == good and "damaged" not in capsys.readouterr().err  # rebuilt: said once


def test_parse_cache_arrays_that_do_not_add_up_are_not_read_as_a_solo(walks, capsys):
    good = solos_of(walks)
    entry = sorted(cache_dir().glob("*/*.parse"))[0]
    data = entry.read_bytes()
    magic = len(ENTRY_MAGIC)
    count = struct.unpack_from("<I", data, magic)[0]
    ints, text = data[magic + 4:magic + 4 + 4 * count], data[magic + 4 + 4 * count:]
    entry.write_bytes(ENTRY_MAGIC + struct.pack("<I", count - 5) + ints[:-20] + text)  # well-formed, notes cut short
    assert solos_of(walks) == good
    assert "was damaged" in capsys.readouterr().err


@pytest.mark.parametrize("part", ["records", "npz", "entry"])
@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_a_damaged_token_cache_is_rebuilt(walks, part, how, capsys):
    good = load_token_corpus(scan_corpus([walks]), TOK)
    expected = (np.asarray(good.records).tobytes(), good.names)
    folder = token_dir(TOK)
    target = {"records": next(folder.glob("*.records")), "npz": next(folder.glob("*.npz")),
              "entry": sorted(folder.glob("*/*.npz"))[0]}[part]
    if part == "entry":  # a file's entry is read when the corpus is laid out again
        next(folder.glob("*.records")).unlink()
    damage(target, how)
    capsys.readouterr()
    again = load_token_corpus(scan_corpus([walks]), TOK)
    assert (np.asarray(again.records).tobytes(), again.names) == expected
    assert "were damaged" in capsys.readouterr().err if part == "entry" else "was damaged" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["", "{\"version\": 1, \"files\": ", "[1, 2, 3]",
                                  json.dumps({"version": 1, "files": {"/x": [1, 2, "3", 4]}, "reports": {}})])
def test_a_damaged_file_index_is_rebuilt_with_a_note(walks, text, capsys):
    good = solos_of(walks)
    index = cache_dir() / "index.json"
    index.write_text(text)
    capsys.readouterr()
    scan = scan_corpus([walks])
    assert "note: the file index" in capsys.readouterr().err
    assert sorted(r.status for r in scan.reports) == ["used"] * 4 and solos_of(walks) == good
    assert len(json.loads(index.read_text())["files"]) == 4


ADD = ("import sys; from pathlib import Path; from jazz.midi.file_index import FileIndex; "
       "index = FileIndex(Path(sys.argv[1])); sys.stdin.readline(); "
       "[index.content_hash(p) for p in sys.argv[2:]]; index.save()")


def test_concurrent_runs_lose_no_index_entries(tmp_path):
    """Two processes read the index, then each hashes its own files and saves: both sets are kept."""
    files = []
    for i in range(20):
        files.append(tmp_path / f"f{i}.mid")
        files[-1].write_bytes(bytes([i]) * 100)
    index = tmp_path / "index.json"
    env = os.environ | {"PYTHONPATH": str(Path(jazz.__file__).parents[1])}  # the jazz under test
    runs = [subprocess.Popen([sys.executable, "-c", ADD, str(index), *map(str, part)], stdin=subprocess.PIPE,
                             cwd=tmp_path, env=env, text=True) for part in (files[:10], files[10:])]
    for run in runs:  # both have read the (empty) index before either saves
        run.stdin.write("go\n")
        run.stdin.flush()
    assert [run.wait(timeout=60) for run in runs] == [0, 0]
    assert sorted(FileIndex(index).files) == sorted(str(f) for f in files)
