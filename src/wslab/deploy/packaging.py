"""Deployment packages: the zip files Lambda takes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["zip_directory", "zip_sources"]

_SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
# A fixed timestamp makes the same sources give the same bytes, hence the same CodeSha256:
# redeploying unchanged code is then visibly a no-op.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def zip_sources(files: Mapping[str, str | bytes]) -> bytes:
    """A package from in-memory files: ``{"app.py": "def handler(e, c): ..."}``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            content = files[name]
            _add(archive, name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def zip_directory(root: str | Path, skip: frozenset[str] = frozenset()) -> bytes:
    """A package of every file below ``root`` (paths relative to it), caches and the
    top-level folders named in ``skip`` left out."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if relative.parts[0] in skip:
                continue
            if path.is_file() and not _SKIPPED_DIRS.intersection(relative.parts):
                _add(archive, relative.as_posix(), path.read_bytes())
    return buffer.getvalue()
