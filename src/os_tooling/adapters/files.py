"""Reading user files: every failure becomes one clear UsageError line."""

from __future__ import annotations

from pathlib import Path

from os_tooling.errors import UsageError

MAX_INPUT_BYTES = 20 * 1024 * 1024


def read_text(path: str | Path, what: str = "file") -> str:
    p = Path(path)
    try:
        if p.is_dir():
            raise UsageError(f"cannot read {what} {str(p)!r}: it is a directory")
        data = p.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"cannot read {what} {str(p)!r}: no such file") from None
    except PermissionError:
        raise UsageError(f"cannot read {what} {str(p)!r}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {str(p)!r}: {exc.strerror or exc}") from None
    return decode_text(data, str(p), what)


def decode_text(data: bytes, label: str, what: str = "file") -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{what} {label!r} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in data:
        raise UsageError(f"{what} {label!r} is not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {label!r} is not UTF-8 text (bad byte at offset {exc.start})") from None
