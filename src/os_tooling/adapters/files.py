"""The one reader for every file os-tooling takes from a repository or the command line.

Everything a pull request brings is hostile, so reading is bounded and confined:
- regular files only: a FIFO would block forever, ``/dev/zero`` never ends, a directory or a
  device is not a document. The file is opened without blocking and checked with ``fstat`` on
  the open descriptor (no window between the check and the read);
- the size is checked while reading, never after reading everything;
- a path inside a repository (``root``) must resolve inside it: a committed symlink to
  ``/proc/self/environ`` or ``../../secrets`` is refused, so its target never reaches a report;
- the bytes must be UTF-8 text without NUL bytes.
Every failure is one clear ``UsageError`` line (exit 2).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path, PurePosixPath

from os_tooling.errors import UsageError

MAX_INPUT_BYTES = 8 * 1024 * 1024  # a manifest or Release CR is a few KB; a catalog a few hundred
_CHUNK = 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_large(what: str, label: str, limit: int) -> UsageError:
    size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
    return UsageError(f"{what} {label!r} is larger than {size}")


def check_inside(path: str | Path, root: str | Path, what: str = "file") -> None:
    """Refuse ``path`` when it lies lexically inside ``root`` but resolves (through symlinks,
    ``..`` or a symlinked folder) outside it. A path the user names outside ``root`` is theirs
    to name and is not confined."""
    root_abs = Path(os.path.abspath(root))
    path_abs = Path(os.path.abspath(path))
    if not path_abs.is_relative_to(root_abs):
        return
    real_root = Path(os.path.realpath(root_abs))
    if not Path(os.path.realpath(path_abs)).is_relative_to(real_root):
        raise UsageError(f"refusing to read {what} {str(path)!r}: it resolves outside the "
                         f"repository {str(root_abs)!r} (a symlink or '..' leads out)")


def read_bytes(path: str | Path, what: str = "file", *, root: str | Path | None = None,
               max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``; see the module doc.
    ``root`` is the repository the file must stay in (default: the one the command runs in)."""
    p = Path(path)
    label = str(p)
    check_inside(p, repository_root() if root is None else root, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise UsageError(f"cannot read {what} {label!r}: no such file") from None
    except PermissionError:
        raise UsageError(f"cannot read {what} {label!r}: permission denied") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {what} {label!r}: it is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {label!r}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UsageError(f"cannot read {what} {label!r}: it is {_kind(mode)}")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(what, label, max_bytes)
        return b"".join(chunks)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {label!r}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, what: str = "file", *, root: str | Path | None = None,
              max_bytes: int = MAX_INPUT_BYTES) -> str:
    """UTF-8 text of the regular file ``path`` (bounded, confined to ``root``)."""
    return decode_text(read_bytes(path, what, root=root, max_bytes=max_bytes), str(path), what)


def decode_text(data: bytes, label: str, what: str = "file", *,
                max_bytes: int = MAX_INPUT_BYTES) -> str:
    if len(data) > max_bytes:
        raise _too_large(what, label, max_bytes)
    if b"\x00" in data:
        raise UsageError(f"{what} {label!r} is not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {label!r} is not UTF-8 text (bad byte at offset {exc.start})") from None


def safe_relative_path(name: str, what: str = "file name") -> str:
    """A repository-relative path from an outside source (GitHub's PR file list, a tree
    listing): no absolute path, no ``..``, no empty or control-character parts."""
    if not name or len(name) > 4096 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UsageError(f"refusing {what} {name[:200]!r}: empty, too long or with control characters")
    if "\\" in name or name.startswith("/") or PurePosixPath(name).is_absolute():
        raise UsageError(f"refusing {what} {name[:200]!r}: not a relative path inside the repository")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UsageError(f"refusing {what} {name[:200]!r}: '..', '.' or empty parts are not allowed")
    return name


def repository_root(start: str | Path = ".") -> Path:
    """The repository the command runs in: the nearest folder up from ``start`` holding ``.git``
    (found without running git: validate runs in pre-commit hooks), else ``start`` itself.
    Files inside it are confined to it."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return here


def replace_text(path: str | Path, text: str, what: str = "file") -> None:
    """Write ``text`` over the file ``path`` atomically (a temporary file in the same folder,
    then a rename), keeping the file's mode; a read-only folder or a full disk is one clear
    UsageError, and the file is left as it was."""

    p = Path(path)
    tmp = None
    try:
        mode = p.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".os-tooling-")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the file's own mode
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} {str(p)!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
