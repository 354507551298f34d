"""`jazz bench`: how fast parsing, training and sampling are on this machine, measured in one run.

Ratios are only meaningful between numbers of the same run (machines are shared and noisy). Without a
corpus (the shared Weimar folder, or data/midi) it parses and trains on random-walk solos it writes itself
(jazz.measure.synthetic). Sampling counts the tokens of the rows still running: a row's tokens up to its
<eos>, not the steps the batch goes on computing for it while longer rows finish.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from jazz.files import atomic_write_text
from jazz.measure.sources import default_corpus
from jazz.model.train import training_batches
from jazz.progress import say

BENCH_CELLS = ("lstm", "hand-lstm", "gru")


def bench_parse(corpus: Path) -> dict:
    """Cold (empty cache, parallel processes) and warm (cached) parse of a whole corpus."""
    from jazz.midi.corpus import load_corpus

    with tempfile.TemporaryDirectory() as cache:
        previous = os.environ.get("JAZZ_CACHE_DIR")
        os.environ["JAZZ_CACHE_DIR"] = cache
        try:
            started = time.perf_counter()
            cold = load_corpus([corpus])
            cold_s = time.perf_counter() - started
            started = time.perf_counter()
            load_corpus([corpus])
            warm_s = time.perf_counter() - started
        finally:
            if previous is None:
                os.environ.pop("JAZZ_CACHE_DIR", None)
            else:
                os.environ["JAZZ_CACHE_DIR"] = previous
    return {"parse_cold_s": round(cold_s, 3), "parse_warm_s": round(warm_s, 3), "parse_files": len(cold.reports),
            "solos": cold.solos}


def bench_train(solos, cells: tuple[str, ...], steps: int, seq_len: int = 128, batch: int = 32,
                hidden: int = 256, layers: int = 2) -> tuple[dict[str, float], float]:
    """Training tokens per second for each cell on the same model size and the same batches, and the input
    pipeline's share of an lstm step."""
    import keras

    from jazz.model.network import build_model
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import compile_model
    from jazz.settings import ModelConfig, TrainConfig

    tokenizer = Tokenizer()
    batches, pipeline_s = training_batches(solos, tokenizer, seq_len, batch, steps)
    rates = {}
    for cell in cells:
        keras.utils.set_random_seed(0)
        model = build_model(ModelConfig(tokenizer.size, 64, hidden, layers, 0.2, cell, skip=False, intervals=False,
                                        register=False, echo=False))
        compile_model(model, TrainConfig())
        for x, y in batches[:2]:  # compile and warm up
            model.train_on_batch(x, y)
        started = time.perf_counter()
        for x, y in batches:
            model.train_on_batch(x, y)
        rates[cell] = round(len(batches) * batch * seq_len / (time.perf_counter() - started), 1)
        say(f"  train {cell}: {rates[cell]:,.0f} tokens/s")
    step_s = batch * seq_len / rates["lstm"]
    return rates, round(pipeline_s / (pipeline_s + step_s), 4)


SAMPLE_RUNS = 3
SAMPLE_COUNTING = ("tokens of running solos only; batch64: 64 rows drawing 256 solos, a row taking the next "
                   "solo when its own ends; batch64_one_wave: 64 solos, the batch running until the longest ends")


def bench_sample(model, tokenizer, quick: bool) -> tuple[dict[str, float], dict[str, float]]:
    """Sampling tokens per second, counting only the tokens of solos still running (the best of
    ``SAMPLE_RUNS`` runs, as timeit takes the best: other work on a shared machine only ever slows a run):
    one solo; 64 rows drawing four times as many solos, each row taking the next solo when its own ends
    (jazz.model.rows); 64 solos at once, the batch running until its longest solo ends; and the naive
    re-feed. Also the share of row-steps spent on rows without a running solo, both ways of batch 64."""
    from jazz.model.context import unknown_context
    from jazz.model.rows import steps_per_call
    from jazz.model.sample import CHUNK, REFILL_CHUNK, Sampler, sample_chunks

    sampler, heard = Sampler(model, tokenizer), unknown_context(model)
    bars = 8 if quick else 32
    cases = {"batch1": (1, 1), "batch64": (64, 256), "batch64_one_wave": (64, 64)}  # rows, solos
    rates, idle = {}, {}
    for name, (count, solos) in cases.items():
        _drain(sample_chunks(model, tokenizer, solos, ["4/4"] * 2, seed=0, sampler=sampler, slots=count,
                             context=heard))  # compile
        best = 0.0
        for run in range(1 if quick else SAMPLE_RUNS):
            started = time.perf_counter()
            rows, calls = _drain(sample_chunks(model, tokenizer, solos, ["4/4"] * bars, seed=1 + run,
                                               sampler=sampler, slots=count, context=heard))
            elapsed = time.perf_counter() - started
            real = sum(len(r) - 1 for r in rows)  # tokens after <bos>, up to each solo's <eos>
            best = max(best, real / elapsed)
            steps = steps_per_call(count, solos, CHUNK, REFILL_CHUNK)
            idle[name] = round(max(0.0, 1 - real / (count * calls * steps)), 4)
        rates[name] = round(best, 1)
    rates["naive"] = round(naive_tokens_per_s(model, tokenizer, 10 if quick else 30), 2)
    for name, rate in rates.items():
        say(f"  sample {name}: {rate:,.1f} tokens/s")
    return rates, {name: idle[name] for name in ("batch64", "batch64_one_wave")}


def _drain(chunks) -> tuple[list, int]:
    """What a ``sample_chunks`` generator returns, and how many calls of the compiled function it made."""
    calls = 1
    while True:
        try:
            next(chunks)
            calls += 1
        except StopIteration as finished:
            return finished.value, calls


def bench_live(bundle, quick: bool) -> dict[str, float]:
    """`jazz live`'s compute time for one 4-bar answer to a 4-bar call: median wall-clock and CPU ms (the
    budget is the call's last beat: 375 ms at 160 bpm)."""
    from jazz.live.answer import Answerer, answer_ms
    from jazz.model.sample import Sampler, sample_chunks

    answerer = Answerer(bundle, Sampler(bundle.model, bundle.tokenizer), sample_chunks)
    wall, cpu = answer_ms(answerer, runs=5 if quick else 15)
    say(f"  live answer: {wall:.1f} ms for 4 bars ({cpu:.1f} ms of CPU)")
    return {"live_answer_ms": round(wall, 1), "live_answer_cpu_ms": round(cpu, 1)}


def bench_live_lateness(model_dir: Path | None, quick: bool) -> dict:
    """How late `jazz live`'s answer notes reach a listener through a dummy-driver JACK server, following a
    scripted DAW's clock (jazz.live.rehearsal): p50, p99 and max ms over every answer note at each tempo.
    Where no JACK server can be started, the figure is left out with the reason."""
    import statistics

    from jazz.live.rehearsal import NoServer, jack_server, jazz_command, rehearse

    tempi = (160,) if quick else (120, 160, 220, 300)
    late: list[float] = []
    try:
        with jack_server(), tempfile.TemporaryDirectory() as work:
            for bpm in tempi:
                late += rehearse(jazz_command(model_dir, bpm), bpm, Path(work)).late_ms
    except (NoServer, OSError, TimeoutError, RuntimeError) as error:
        say(f"  live lateness: skipped ({error})")
        return {"live_lateness_ms": None, "live_lateness_skipped": str(error)}
    if not late:
        return {"live_lateness_ms": None, "live_lateness_skipped": "jazz played no answer notes"}
    late.sort()
    figures = {"p50": round(statistics.median(late), 1), "p99": round(late[round(0.99 * (len(late) - 1))], 1),
               "max": round(late[-1], 1), "notes": len(late), "bpm": list(tempi), "load": round(os.getloadavg()[0], 1)}
    say(f"  live lateness: p50 {figures['p50']} ms, p99 {figures['p99']}, max {figures['max']} ({len(late)} notes)")
    return {"live_lateness_ms": figures}


def _condition_width(model) -> int:
    """Width of the model's chord condition input (0 for a model without one)."""
    widths = [t.shape[-1] for t in model.inputs if t.name == "condition"]
    return widths[0] if widths else 0


def naive_tokens_per_s(model, tokenizer, tokens: int, window: int = 128) -> float:
    """The approach of the well-known Keras jazz demos: re-feed a window to model.predict for every token."""
    from jazz.model.context import unknown_context
    from jazz.model.features import pitch_memory
    from jazz.model.motifs import echo_inputs

    rng = np.random.default_rng(0)
    sequence = [tokenizer.index["<bos>"]]
    names, width, heard = [t.name for t in model.inputs], _condition_width(model), unknown_context(model)
    started = time.perf_counter()
    for _ in range(tokens):
        x = np.array([sequence[-window:]], dtype="int32")
        latest, before = pitch_memory(tokenizer, x[0])
        inputs = {"tokens": x, "condition": np.zeros((1, x.shape[1], width), "float32"),
                  "last_pitch": latest[None], "previous_pitch": before[None],
                  "register": np.full_like(latest[None], 0),
                  "echo": echo_inputs(tokenizer.pitch_slots[x[0]])[None],
                  "context": None if heard is None else np.broadcast_to(heard, (1, x.shape[1], heard.shape[-1]))}
        inputs = {name: inputs[name] for name in names} if len(names) > 1 else x
        logits = model.predict(inputs, verbose=0)[0, -1]
        probs = np.exp(logits - logits.max())
        sequence.append(int(rng.choice(len(probs), p=probs / probs.sum())))
    return tokens / (time.perf_counter() - started)


def machine() -> dict:
    import keras

    from jazz.model.train import hardware

    info = {"cores": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor(),
            "python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
            "numpy": np.__version__, "hardware": hardware()}
    if info["backend"] == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    return info


def run_bench(corpus: Path | None, model_dir: Path | None, quick: bool, json_path: Path | None) -> dict:
    corpus = corpus or default_corpus()
    with tempfile.TemporaryDirectory(prefix="jazz-bench-") as tmp:
        if corpus is None:
            from jazz.measure.synthetic import SYNTHETIC_SOLOS, write_synthetic_corpus

            corpus = Path(tmp) / "random-walks"
            say(f"no corpus here: writing {SYNTHETIC_SOLOS} random-walk solos over the built-in tunes")
            write_synthetic_corpus(corpus, SYNTHETIC_SOLOS)
        say(f"parsing {corpus} (cold, then warm)")
        parsed = bench_parse(corpus)
    solos = parsed.pop("solos")
    if not solos:
        from jazz.files import UsageError

        raise UsageError(f"no usable MIDI files in {corpus} to benchmark with")
    say("training throughput (2 x 256 units, sequence 128, batch 32)")
    train, pipeline_share = bench_train(solos, BENCH_CELLS, steps=4 if quick else 15)
    peak_train_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from jazz.model.bundle import load_bundle

    bundle = load_bundle(model_dir)
    say(f"sampling with {bundle.path}")
    sample_rates, idle = bench_sample(bundle.model, bundle.tokenizer, quick)
    live = bench_live(bundle, quick)
    live.update(bench_live_lateness(model_dir, quick))
    result = {**parsed, "corpus": str(corpus), "train_tokens_per_s": train,
              "train_step_ms": {cell: round(32 * 128 / rate * 1000, 1) for cell, rate in train.items()},
              "sample_tokens_per_s": sample_rates, "sample_counting": SAMPLE_COUNTING,
              "idle_row_share": idle, **live,
              "ratios": {"hand-lstm/lstm": round(train["hand-lstm"] / train["lstm"], 3),
                         "gru/lstm": round(train["gru"] / train["lstm"], 3),
                         "batch1/naive": round(sample_rates["batch1"] / sample_rates["naive"], 1)},
              "input_pipeline_share": pipeline_share,
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "peak_rss_after_training_mb": round(peak_train_mb, 1), "quick": quick, "machine": machine()}
    if json_path:
        atomic_write_text(json_path, json.dumps(result, indent=1))
    return result


def format_bench(result: dict) -> str:
    lines = [f"corpus: {result['corpus']}"]
    lines += [f"parse: {result['parse_files']} files, cold {result['parse_cold_s']:.2f} s, warm {result['parse_warm_s']:.2f} s"]
    lines += [f"train {cell:<10} {rate:>10,.0f} tokens/s, {result['train_step_ms'][cell]:,.0f} ms a step of 32 x 128"
              for cell, rate in result["train_tokens_per_s"].items()]
    lines += [f"sample {name:<9} {rate:>10,.1f} tokens/s" for name, rate in result["sample_tokens_per_s"].items()]
    idle = result["idle_row_share"]
    lines.append(f"  ({result['sample_counting']}; row-steps without a running solo: batch64 {idle['batch64']:.0%}, "
                 f"batch64_one_wave {idle['batch64_one_wave']:.0%})")
    lines += [f"ratio {name:<12} {value}" for name, value in result["ratios"].items()]
    lines.append(f"live answer: {result['live_answer_ms']:.1f} ms for 4 bars, {result['live_answer_cpu_ms']:.1f} ms "
                 "of CPU (one beat at 160 bpm is 375 ms)")
    late = result.get("live_lateness_ms")
    lines.append(f"live lateness through JACK: p50 {late['p50']} ms, p99 {late['p99']}, max {late['max']} "
                 f"({late['notes']} answer notes at {late['bpm']} bpm)" if late
                 else f"live lateness: not measured ({result.get('live_lateness_skipped', 'no JACK server')})")
    lines.append(f"input pipeline: {result['input_pipeline_share']:.1%} of a training step (lstm)")
    m = result["machine"]
    lines.append(f"peak RSS {result['peak_rss_mb']:.0f} MB; ran on {m['hardware']}")
    return "\n".join(lines)
