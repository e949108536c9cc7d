"""What the runtime needs to know of a deployed function, read from moto's model."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["FunctionSpec", "spec_from_moto"]


@dataclass(frozen=True)
class FunctionSpec:
    """An immutable view of one function version; a change of any field means new workers."""

    account_id: str
    region: str
    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    environment: tuple[tuple[str, str], ...]
    timeout_s: float
    memory_mb: int
    code_sha256: str
    reserved_concurrency: int | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.name)

    @property
    def fingerprint(self) -> str:
        """Identifies code and configuration: warm workers serve only their own fingerprint."""
        parts = [
            self.handler,
            self.runtime,
            json.dumps(self.environment),
            str(self.timeout_s),
            str(self.memory_mb),
            self.code_sha256,
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


def spec_from_moto(function: Any) -> FunctionSpec:
    environment = function.environment_vars or {}
    reserved = function.reserved_concurrency
    return FunctionSpec(
        account_id=str(function.account_id),
        region=str(function.region),
        name=str(function.function_name),
        arn=str(function.function_arn),
        version=str(function.version),
        handler=str(function.handler or ""),
        runtime=str(function.run_time or "python3.12"),
        environment=tuple(sorted((str(k), str(v)) for k, v in environment.items())),
        timeout_s=float(function.timeout or 3),
        memory_mb=int(function.memory_size or 128),
        code_sha256=str(
            function.code_sha_256 or hashlib.sha256(function.code_bytes or b"").hexdigest()
        ),
        reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
    )
