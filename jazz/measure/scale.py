"""`jazz bench --scale N`: how the data path scales, on a synthetic corpus of N files.

The corpus is made of variants of real solos (of the random-walk solos of jazz.measure.synthetic where
there is no corpus; each transposed by a random interval and cut to a random
length, written with mido) in a temporary folder that is deleted afterwards. It is parsed cold with the
code path of `jazz train` (jazz.midi.corpus.scan_corpus, then the token cache), scanned again (nothing
changed), and again after adding 1% more files. Memory is the peak of this process and its workers
together, shared pages counted once (the sum of their proportional set sizes, sampled from /proc).
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from jazz.files import UsageError, atomic_write_text
from jazz.measure.sources import default_corpus
from jazz.model.train import training_batches
from jazz.progress import say

VARIANTS_PER_FOLDER = 1000
SHIFTS = (-6, 6)  # semitones
KEEP = (0.15, 1.0)  # share of a solo's length kept


@cache
def _source(path: str):
    import mido

    return mido.MidiFile(path, clip=True)


def _write_variant(task: tuple[str, str, int, float]) -> None:
    """A real solo moved by ``shift`` semitones and cut after the first ``keep`` of its length."""
    import mido

    source, target, shift, keep = task
    midi = _source(source)
    end = keep * max(sum(m.time for m in track) for track in midi.tracks)
    out = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat)
    for track in midi.tracks:
        kept, tick = mido.MidiTrack(), 0
        for message in track:
            tick += message.time
            if tick > end or message.type == "end_of_track":
                break
            if message.type in ("note_on", "note_off") and message.channel != 9:
                message = message.copy(note=min(max(message.note + shift, 0), 127))
            kept.append(message)
        kept.append(mido.MetaMessage("end_of_track", time=0))
        out.tracks.append(kept)
    out.save(target)


def write_variants(sources: list[Path], n: int, folder: Path, seed: int = 0, first: int = 0) -> None:
    """Write ``n`` variants of ``sources`` under ``folder`` (a subfolder per thousand), in parallel."""
    from jazz.midi.corpus import usable_cores

    rng = np.random.default_rng(seed)
    tasks = []
    for i in range(first, first + n):
        source = sources[i % len(sources)]
        target = folder / f"{i // VARIANTS_PER_FOLDER:03d}" / f"{i:06d}_{source.stem}.mid"
        tasks.append((str(source), str(target), int(rng.integers(SHIFTS[0], SHIFTS[1] + 1)), float(rng.uniform(*KEEP))))
    for sub in {Path(t[1]).parent for t in tasks}:
        sub.mkdir(parents=True, exist_ok=True)
    jobs = usable_cores()
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_write_variant, tasks, chunksize=max(1, min(64, n // (8 * jobs)))))


class PeakMemory:
    """Samples the memory of this process and its descendants in a thread; ``peak_mb`` is the highest sum."""

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak_mb = every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def sample(self) -> None:
        self.peak_mb = max(self.peak_mb, sum(_pss_kb(pid) for pid in _process_tree(os.getpid())) / 1024)


def _process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it (from /proc; just ``root`` elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _pss_kb(pid: int) -> int:
    """A process's proportional set size in kB (its resident size where the kernel does not say)."""
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if pid == os.getpid() else 0


@contextmanager
def fresh_cache(folder: Path):
    """Point the parse and token caches at an empty ``folder`` for the block."""
    previous = os.environ.get("JAZZ_CACHE_DIR")
    os.environ["JAZZ_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("JAZZ_CACHE_DIR", None)
        else:
            os.environ["JAZZ_CACHE_DIR"] = previous


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU time of this process and its finished children so far (a pool's workers count once it is shut down)."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def prepare(folder: Path, tokenizer) -> tuple:
    """Scan a folder and load its token corpus, as `jazz train` does: the corpus, the token corpus, and
    the seconds they took (``scan_s``, ``scan_cpu_s``, ``tokens_s``)."""
    from jazz.midi.corpus import scan_corpus
    from jazz.model.token_cache import load_token_corpus

    cpu = cpu_seconds()
    corpus, scan_s = timed(scan_corpus, [folder])
    scan_cpu_s = cpu_seconds() - cpu
    if not corpus.used:
        raise UsageError("none of the synthetic files is usable")
    data, tokens_s = timed(load_token_corpus, corpus, tokenizer)
    return corpus, data, {"scan_s": scan_s, "scan_cpu_s": scan_cpu_s, "tokens_s": tokens_s}


def pipeline_share(data, tokenizer, quick: bool, seq_len: int = 128, batch: int = 32) -> dict:
    """Seconds per batch of the input pipeline (windows cut from the memory-mapped records, with every
    input of the default model) against a training step of that model."""
    import keras

    from jazz.model.features import CONDITION_SIZE
    from jazz.model.network import build_model
    from jazz.model.train import compile_model
    from jazz.settings import ModelConfig, TrainConfig

    config = ModelConfig(tokenizer.size, condition=CONDITION_SIZE, skip=True, intervals=True, register=True,
                         echo=True, first_pitch=tokenizer.first("pitch"))
    steps = 3 if quick else 10
    batches, pipeline_s = training_batches(data, tokenizer, seq_len, batch, steps + 2, config.input_names,
                                           timed=20 if quick else 200)
    keras.utils.set_random_seed(0)
    model = build_model(config)
    compile_model(model, TrainConfig())
    for x, y in batches[:2]:  # compile and warm up
        model.train_on_batch(x, y)
    _, step_s = timed(lambda: [model.train_on_batch(x, y) for x, y in batches[2:]])
    step_s /= steps
    return {"pipeline_ms_per_batch": round(pipeline_s * 1000, 2), "train_step_ms": round(step_s * 1000, 1),
            "input_pipeline_share": round(pipeline_s / (pipeline_s + step_s), 4)}


def scale_sources(corpus: Path | None, folder: Path) -> list[Path]:
    """The solos to make variants of: ``corpus``'s, else the shared Weimar folder's, else random walks written
    to ``folder``."""
    from jazz.measure.synthetic import SYNTHETIC_SOLOS, write_synthetic_corpus
    from jazz.midi.corpus import find_midi_files

    corpus = corpus or default_corpus()
    if corpus is None:
        say(f"no corpus here: making variants of {SYNTHETIC_SOLOS} random-walk solos")
        return write_synthetic_corpus(folder, SYNTHETIC_SOLOS)
    sources = find_midi_files([corpus])
    if not sources:
        raise UsageError(f"no MIDI files in {corpus} to make variants of")
    return sources


def run_scale(n: int, corpus: Path | None, quick: bool, json_path: Path | None) -> dict:
    from jazz.model.tokens import Tokenizer

    tokenizer = Tokenizer()
    with tempfile.TemporaryDirectory(prefix="jazz-scale-") as tmp, fresh_cache(Path(tmp) / "cache"):
        sources = scale_sources(corpus, Path(tmp) / "sources")
        folder = Path(tmp) / "midi"
        say(f"writing {n:,} variants of {len(sources)} solos to {folder}")
        _, write_s = timed(write_variants, sources, n, folder)
        say("parsing them cold, then encoding them into the token cache")
        with PeakMemory() as memory:
            cold, data, first = prepare(folder, tokenizer)
        again, _, second = prepare(folder, tokenizer)
        added = max(1, n // 100)
        write_variants(sources, added, folder, seed=1, first=n)
        grown, _, third = prepare(folder, tokenizer)
        say("input pipeline against a training step")
        share = pipeline_share(data, tokenizer, quick)
    scale = {"files": n, "parse_files_per_s": round(n / first["scan_s"], 1), "peak_rss_mb": round(memory.peak_mb, 1),
             "input_pipeline_share": share["input_pipeline_share"]}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    details = {"usable": len(cold.used), "tokens": data.tokens_total, "write_s": round(write_s, 1),
               "parse_cold_s": round(first["scan_s"], 2), "parse_cpu_s": round(first["scan_cpu_s"], 1),
               "parse_files_per_s_on_idle_cores": round(n * cores / max(first["scan_cpu_s"], 1e-9), 1),
               "load_average": round(os.getloadavg()[0], 2), "token_cache_cold_s": round(first["tokens_s"], 2),
               "rescan_s": round(second["scan_s"], 2), "rescan_parsed": again.parsed, "rescan_hashed": again.hashed,
               "token_cache_reopen_s": round(second["tokens_s"], 3),
               "added_files": added, "added_parsed": grown.parsed, "added_hashed": grown.hashed,
               "rescan_after_adding_s": round(third["scan_s"], 2),
               "token_cache_after_adding_s": round(third["tokens_s"], 2),
               "peak_rss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               "cores": cores,
               **share}
    result = {"scale": scale, "scale_details": details, "quick": quick}
    if json_path:
        atomic_write_text(json_path, json.dumps(result, indent=1))
    return result


def format_scale(result: dict) -> str:
    s, d = result["scale"], result["scale_details"]
    return "\n".join([
        (f"parse: {s['files']:,} files cold in {d['parse_cold_s']:.1f} s = {s['parse_files_per_s']:,.0f} files/s "
         f"on {d['cores']} cores ({d['usable']:,} usable, {d['tokens']:,} tokens)"),
        (f"  {d['parse_cpu_s']:.1f} CPU s: {d['parse_files_per_s_on_idle_cores']:,.0f} files/s if the cores were idle "
         f"(load average {d['load_average']})"),
        f"token cache: built in {d['token_cache_cold_s']:.1f} s, reopened in {d['token_cache_reopen_s']:.3f} s",
        (f"second run: scan {d['rescan_s']:.2f} s; after adding {d['added_files']} files: {d['added_parsed']} parsed, "
         f"scan {d['rescan_after_adding_s']:.2f} s, token cache {d['token_cache_after_adding_s']:.2f} s"),
        f"peak memory {s['peak_rss_mb']:,.0f} MB (this process and its workers, shared pages counted once)",
        (f"input pipeline: {d['pipeline_ms_per_batch']} ms per batch against a {d['train_step_ms']} ms training step "
         f"= {s['input_pipeline_share']:.1%}"),
    ])
