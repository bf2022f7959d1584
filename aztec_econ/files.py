"""Generic file helpers shared by every layer (bottom of the package: imports nothing from `aztec_econ`).

- `atomic_write`: write a file through a temporary file in the same directory and `os.replace`, so readers (and a
  process killed mid-write) never see a partial file.
- `replace_together`: replace several files of one directory as a unit (a report's page, notebook and index): a
  journal names the finished temporary files before any is moved, and `recover_replacements` (run first by the
  next writer) completes a unit a killed process left half done and deletes the temporary files of one it never
  started to move. The caller holds the directory's lock.
- `read_text`: read a text file as UTF-8; an `InputFileError` names the file and what is wrong with it, never its
  contents.
- `check_output_file`, `check_output_dir`: check, before any work starts, that an output path can be written
  (`OutputPathError` names the path and why not); they write nothing that stays.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

MAX_TEXT_BYTES = 64 * 2**20
"""Largest text input file `read_text` accepts [bytes] (parameter and sweep files are a few kB)."""
_JOURNAL_PREFIX = ".replace."


class InputFileError(ValueError):
    """An input file that cannot be used: `path` and `problem` (what is wrong, never what the file contains)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"file {self.path}: {problem}")


class OutputPathError(ValueError):
    """An output path that cannot be written: the message names the option, the path and why."""


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write `data` to `path` atomically: a temporary file in the same directory, then `os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _write_temporary(path: Path, data: str | bytes) -> str:
    """`data` written and synced to a new temporary file beside `path` (`.NAME.*.tmp`); returns its path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def replace_together(directory: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Replace the files `files` (name in `directory` -> contents) as a unit; returns their paths.

    Every temporary file is written before any is moved; a journal listing them is written (atomically) before the
    first move and removed after the last. A process killed before the journal exists leaves the old files; one
    killed after it leaves a journal that `recover_replacements` completes. Callers hold the directory's lock (the
    reports directory's index lock), and this first recovers what an earlier writer left.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    recover_replacements(root, names=files)
    for name in files:  # a move that cannot succeed must fail before the first one
        if (root / name).is_dir():
            raise IsADirectoryError(
                errno.EISDIR, "is a directory, so no file can replace it", str(root / name)
            )
    temporaries: dict[str, str] = {}
    try:
        for name, data in files.items():
            temporaries[name] = _write_temporary(root / name, data)
        journal = atomic_write(
            root / f"{_JOURNAL_PREFIX}{os.urandom(8).hex()}.json",
            json.dumps([[Path(tmp).name, name] for name, tmp in temporaries.items()]),
        )
    except BaseException:
        for tmp in temporaries.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for name, tmp in temporaries.items():
        os.replace(tmp, root / name)
    journal.unlink()
    return [root / name for name in files]


def recover_replacements(directory: str | Path, names: Mapping[str, object] | None = None) -> int:
    """Complete the units of `replace_together` a killed process left in `directory` (each journal's temporary
    files are moved into place); with `names`, also delete orphan temporary files of those names (`.NAME.*.tmp`:
    a writer killed before its journal). Returns the number of units completed. Run it under the directory's lock."""
    root = Path(directory)
    completed = 0
    for journal in sorted(root.glob(f"{_JOURNAL_PREFIX}*.json")):
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a journal is written atomically: unreadable means not ours
            continue
        for tmp, name in moves:
            if (root / tmp).is_file():
                os.replace(root / tmp, root / name)
        journal.unlink()
        completed += 1
    for name in names or ():
        for orphan in root.glob(f".{name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                orphan.unlink()
    return completed


def read_text(path: str | Path, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of the regular file `path`, read as UTF-8. Raises `InputFileError` (naming the file and the
    problem: missing, a directory, not readable, too large, binary, not UTF-8), never quoting its contents."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(path, "does not exist") from None
    except OSError as err:
        raise InputFileError(path, f"cannot be read ({err.strerror or type(err).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(path, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(path, "is not a regular file")
    if info.st_size > max_bytes:
        raise InputFileError(path, f"is {info.st_size:,} bytes; at most {max_bytes:,} are read")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputFileError(path, f"cannot be read ({err.strerror or type(err).__name__})") from None
    if b"\x00" in raw:
        raise InputFileError(path, "is binary (it contains NUL bytes), not UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(path, f"is not UTF-8 text (invalid byte at offset {err.start})") from None


def check_output_file(path: str | Path, option: str = "--out") -> Path:
    """Check that the file `path` can be written (atomically, creating its directory): not a directory, and its
    nearest existing ancestor a writable directory. Returns the path; raises `OutputPathError`."""
    path = Path(path)
    where = f"{option} {path}"
    if path.is_dir():
        raise OutputPathError(f"{where}: is a directory; give a file name")
    if path.exists() and not path.is_file():
        raise OutputPathError(f"{where}: exists and is not a regular file")
    _check_creatable(path.parent, where)
    return path


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """Check that the directory `path` exists and is writable, or can be created. Returns the path; raises
    `OutputPathError`."""
    path = Path(path)
    where = f"{option} {path}"
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{where}: is a file, not a directory")
    _check_creatable(path, where)
    return path


def _check_creatable(directory: Path, where: str) -> None:
    """The directory exists and is writable, or its nearest existing ancestor is a writable directory."""
    ancestor = directory.absolute()
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise OutputPathError(f"{where}: {ancestor} is a broken symbolic link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(f"{where}: {ancestor} is a file, not a directory, so it cannot be created")
    problem = _not_writable(ancestor)
    if problem and ancestor == directory.absolute():
        raise OutputPathError(f"{where}: the directory is not writable ({problem})")
    if problem:
        raise OutputPathError(f"{where}: cannot be created: {ancestor} is not writable ({problem})")


def _not_writable(directory: Path) -> str | None:
    """None if a file can be created in `directory` (tried, then removed), else why not."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".aztec-econ-write-check-", dir=directory)
    except OSError as err:
        return err.strerror or type(err).__name__
    os.close(fd)
    os.unlink(probe)
    return None
