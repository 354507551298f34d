"""Writing files so that a kill or a full disk at any moment leaves either the old file or the new one, and
the lock that keeps two runs out of one output folder or file."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
LOCK_NAME = ".jazz.lock"  # inside a locked folder; a locked file's lock is ".NAME.lock" beside it


class UsageError(Exception):
    """A mistake in what the user asked for; the message is one sentence for stderr."""


class DiskFull(UsageError, OSError):
    """The disk filled up while writing ``path``; the message names it and what was kept.

    An OSError too, so that code which lets a cache write fail (a cache only costs speed) still does."""

    def __init__(self, path: str | Path, kept: str):
        super().__init__(f"no space left on the disk for {path}: {kept}")
        self.path, self.kept = Path(path), kept


def _read_umask() -> int:
    """The process umask, read without changing it (changing it, even for a moment, races other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: read once, at import, before any thread of ours starts
    os.umask(mask)
    return mask


UMASK = _read_umask()


@contextmanager
def atomic_path(path: str | Path, suffix: str | None = None):
    """Yield a temporary path beside ``path``, ending in ``suffix`` (default: ``path``'s); on success it is
    renamed over ``path``.

    On any failure the temporary file is removed and ``path`` is as it was; errors name ``path``, never the
    temporary file, and a full disk becomes DiskFull."""
    path = Path(path)
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the temporary name keeps the suffix: some writers (Keras, matplotlib) choose the format by it
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{suffix or path.suffix}", dir=path.parent)
    except OSError as error:
        raise _named(error, path, existed) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except OSError as error:
        raise _named(error, path, existed) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _named(error: OSError, path: Path, existed: bool) -> OSError:
    """``error`` about ``path`` (not the temporary file); DiskFull when the disk is full."""
    if isinstance(error, DiskFull):
        return error
    if error.errno in NO_SPACE:
        return DiskFull(path, f"the previous {path.name} is unchanged" if existed else "nothing was written there")
    return type(error)(error.errno, error.strerror, str(path)) if error.errno else error


def atomic_write_bytes(path: str | Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically; ``durable=False`` skips the fsync (for caches, which may be lost)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())


def write_cache_file(path: Path, data: bytes) -> None:
    """Write a small cache file atomically, without fsync, in as few system calls as can be (a corpus may
    write tens of thousands): a temporary name unique to this process and thread, then a rename.
    Writers racing on one path each rename a whole file over it."""
    tmp = f"{path.parent}/.{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def ensure_room(path: str | Path, size: int, kept: str) -> None:
    """Refuse to start writing ``size`` bytes at ``path`` where the disk has less free: some writers (h5py)
    crash the process, rather than raise, when the disk fills under them."""
    folder = next(p for p in (Path(path).parent, *Path(path).parents) if p.exists())
    if shutil.disk_usage(folder).free < size + (1 << 16):
        raise DiskFull(path, kept)


def check_writable(path: str | Path, what: str) -> None:
    """Refuse, before any work, a destination where ``what`` cannot be written: the nearest existing folder
    must take a file (tried with a hidden probe file, removed at once), and the disk must not be full."""
    path = Path(path)
    start = path if path.is_dir() or not path.exists() else path.parent  # an existing file: its folder
    nearest = next(p for p in (start, *start.parents) if p.exists())
    if not nearest.is_dir():
        raise UsageError(f"cannot write {what} to {path} ({nearest} is not a folder)")
    try:
        fd, probe = tempfile.mkstemp(prefix=".jazz-probe.", dir=nearest)
    except OSError as error:
        raise UsageError(f"cannot write {what} to {path}: {nearest} does not take new files ({error.strerror or error})") from None
    try:
        os.write(fd, b"\0" * 4096)
        os.fsync(fd)
    except OSError as error:
        if error.errno in NO_SPACE:
            raise DiskFull(path, "nothing was written") from None
        raise UsageError(f"cannot write {what} to {path}: {nearest} does not take new files ({error.strerror or error})") from None
    finally:
        os.close(fd)
        os.unlink(probe)


@contextmanager
def output_lock(path: str | Path, folder: bool = True):
    """Hold the lock on an output folder (``folder``: created here if need be) or file for the run.

    A second run is refused with one sentence naming the process that holds it. The lock is an flock on a
    lock file, which the kernel releases when its process ends however it ends (kill -9 included), so a
    stale lock file is taken over, never waited on. A folder this made that is still empty is removed."""
    path = Path(path)
    made = folder and not path.exists()
    if folder:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _named(error, path, False) from None
    lock = path / LOCK_NAME if folder else path.with_name(f".{path.name}.lock")
    try:
        fd = _take(lock, path)
    except UsageError:
        if made:
            path.rmdir()
        raise
    try:
        yield path
    finally:
        os.unlink(lock)  # while still held: a run that opened the old file sees it is gone and retries
        os.close(fd)
        if made:
            try:
                path.rmdir()
            except OSError:
                pass  # not empty: the run's files stay


def _take(lock: Path, path: Path) -> int:
    """The locked lock file's descriptor, with this process's id in it."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~UMASK)
        except OSError as error:
            raise _named(error, path, True) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise UsageError(f"{path} is in use by another jazz run (process {holder}); wait for it to finish "
                             "or choose another destination") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)  # the holder removed it as we opened it: take the new one


def reader_gone() -> int:
    """Standard output's reader stopped early (``jazz corpus DIR | head``): nothing is wrong, so point standard
    output at the null device (the flush at exit stays quiet) and return 0 for the exit status."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
