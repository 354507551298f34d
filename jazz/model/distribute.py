"""Data-parallel training with the backend's own engines: tf.distribute on TensorFlow, keras.distribution on JAX.

On one machine a run uses every local accelerator (TensorFlow: ``MirroredStrategy``; JAX:
``keras.distribution.DataParallel``). ``JAZZ_CPU_DEVICES=n`` splits the CPU into n logical devices, so the
same path runs, and is tested, without one. Across machines, TensorFlow's ``MultiWorkerMirroredStrategy``
reads the cluster from ``TF_CONFIG``, and JAX starts jax.distributed through ``keras.distribution.initialize``
from the ``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``_NUM_PROCESSES`` and ``_PROCESS_ID`` variables.

The global batch is ``--batch-size`` whatever the number of replicas; each replica gets an equal part.
The learning rate therefore stays as given: the gradient is the mean over the same global batch. Worker 0
is the chief and alone writes the model folder; the others write to a temporary folder and delete it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

from jazz.files import UsageError

CPU_DEVICES_ENV = "JAZZ_CPU_DEVICES"
JAX_CLUSTER_ENV = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES")
LR_RULE = "as given: the global batch is --batch-size for any number of replicas, split equally among them"


def configure_cpu_devices() -> int | None:
    """Split the CPU into ``JAZZ_CPU_DEVICES`` logical devices; must run before the backend starts its devices."""
    text = os.environ.get(CPU_DEVICES_ENV)
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{CPU_DEVICES_ENV} must be a whole number of at least 1, not {text!r}")
    count = int(text)
    if keras.backend.backend() == "jax":  # read when JAX starts its CPU backend
        flag = f"--xla_force_host_platform_device_count={count}"
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        except RuntimeError:  # already started (a library caller): keep the devices it has
            count = len(tf.config.list_logical_devices("CPU"))
            if count != int(text):
                print(f"note: {CPU_DEVICES_ENV} ignored: TensorFlow had started {count} CPU devices already",
                      file=sys.stderr)
    return count


def is_chief_process() -> bool:
    """Whether this process is worker 0 (the one that writes the model folder), read from the cluster
    variables before any backend starts."""
    import json

    process = os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID")
    if process is not None:
        return process.strip() == "0"
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        task, cluster = config.get("task", {}), config.get("cluster", {})
    except (ValueError, AttributeError):
        return True
    if task.get("type") == "chief":
        return True
    return task.get("type") in (None, "worker") and int(task.get("index", 0)) == 0 and "chief" not in cluster


@dataclass
class Plan:
    """How a run is spread: the engine, its replicas and devices, and which worker this process is."""

    engine: str = "none"
    replicas: int = 1
    devices: list[str] = field(default_factory=list)
    workers: int = 1
    worker: int = 0
    strategy: Any = None  # the tf.distribute strategy (TensorFlow)

    @property
    def chief(self) -> bool:
        return self.worker == 0

    @property
    def shard(self) -> tuple[int, int]:
        """(this process, processes) among which each global batch is split before it reaches the backend:
        JAX feeds every process its own part; tf.distribute splits whole batches itself."""
        return (self.worker, self.workers) if self.engine.startswith("keras.distribution") else (0, 1)

    def scope(self):
        """Where to build and compile the model."""
        return self.strategy.scope() if self.strategy is not None else nullcontext()

    def check(self, batch_size: int) -> None:
        if batch_size % self.replicas:
            raise UsageError(f"--batch-size {batch_size} does not split evenly over {self.replicas} replicas")

    def record(self, batch_size: int) -> dict:
        """What config.json and the card say about the run's distribution."""
        return {"engine": self.engine, "replicas": self.replicas, "workers": self.workers,
                "device_count": max(len(self.devices), 1), "devices": self.devices,
                "global_batch": batch_size, "per_replica_batch": batch_size // self.replicas,
                "learning_rate": LR_RULE}

    def prepare(self, model: keras.Model) -> None:
        """Adapt a compiled model to the engine (Keras 3's fit under MultiWorkerMirroredStrategy)."""
        if self.engine.endswith("MultiWorkerMirroredStrategy"):
            _fit_across_workers(model, self.strategy)

    def agree(self, flag: bool) -> bool:
        """Whether any worker says yes (so that all stop together); a plain value on one worker."""
        if self.workers == 1:
            return flag
        if self.strategy is None:  # JAX processes
            import numpy as np
            from jax.experimental import multihost_utils

            return bool(np.any(multihost_utils.process_allgather(np.array([flag]))))
        import tensorflow as tf

        value = self.strategy.reduce(tf.distribute.ReduceOp.SUM, tf.constant(float(flag)), axis=None)
        return bool(value.numpy() > 0)


def make_plan(distribute: bool) -> Plan:
    """The plan for this process: one device, or data parallel with the backend's engine."""
    configure_cpu_devices()
    if not distribute:
        return Plan()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_plan()
    if backend == "jax":
        return _jax_plan()
    raise UsageError(f"--distribute needs the TensorFlow or JAX backend (KERAS_BACKEND is {backend})")


def _tensorflow_plan() -> Plan:
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        resolver = strategy.cluster_resolver
        cluster = resolver.cluster_spec().as_dict()
        workers = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
        worker = resolver.task_id + (1 if resolver.task_type == "worker" and "chief" in cluster else 0)
        return Plan("tf.distribute.MultiWorkerMirroredStrategy", strategy.num_replicas_in_sync,
                    list(strategy.extended.worker_devices), workers, worker, strategy)
    devices = [d.name for d in tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    return Plan("tf.distribute.MirroredStrategy", strategy.num_replicas_in_sync, devices, strategy=strategy)


def _jax_plan() -> Plan:
    import jax
    from keras import distribution

    if any(name in os.environ for name in JAX_CLUSTER_ENV):
        distribution.initialize()  # jax.distributed, from the KERAS_DISTRIBUTION_* variables
    devices = distribution.list_devices()
    distribution.set_distribution(distribution.DataParallel(devices=devices))
    return Plan("keras.distribution.DataParallel", len(devices), [str(d) for d in devices],
                jax.process_count(), jax.process_index())


@contextmanager
def writing_folder(plan: Plan, out: Path, resume: bool):
    """The folder this worker writes: ``out`` for the chief, else a temporary folder deleted afterwards
    (on --resume seeded with the chief's checkpoints, which must then be reachable, e.g. on a shared disk)."""
    if plan.chief:
        yield out
        return
    folder = Path(tempfile.mkdtemp(prefix=f"jazz-worker{plan.worker}-"))
    try:
        if resume:
            if not (out / "checkpoints" / "resume").is_dir():
                raise UsageError(f"worker {plan.worker} cannot see {out}/checkpoints: --resume across machines "
                                 "needs --out on a disk that every worker reaches")
            shutil.copytree(out / "checkpoints", folder / "checkpoints")
            for name in ("history.csv", "config.json"):
                if (out / name).exists():
                    shutil.copy2(out / name, folder / name)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fit_across_workers(model: keras.Model, strategy) -> None:
    """Two steps of Keras 3's fit fail under MultiWorkerMirroredStrategy; do them the way that works.

    Fit builds the model from its first batch reduced across workers (a cross-worker reduction of whole
    input batches), where this worker's part of the batch tells the same shapes; and it averages each
    step's scalar logs with ``strategy.reduce(..., axis=0)``, which needs the logs to have an axis.
    """
    import tensorflow as tf

    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(lambda v: strategy.experimental_local_results(v)[0],
                                                      next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def with_axis(step):
        return lambda data: {name: tf.reshape(value, (1,)) for name, value in step(data).items()}

    model._maybe_symbolic_build = build
    model.train_step, model.test_step = with_axis(model.train_step), with_axis(model.test_step)


def say(plan: Plan, text: str) -> None:
    """A line on stderr from the chief only."""
    if plan.chief:
        print(text, file=sys.stderr)
