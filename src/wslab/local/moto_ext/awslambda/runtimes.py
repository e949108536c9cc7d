"""When Lambda stops taking each deprecated runtime: AWS's published schedule.

From the "Deprecated runtimes" and "Supported runtimes" tables of
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html: after "Block function
create" Lambda refuses ``CreateFunction`` with the runtime, after "Block function update" any
update of a function that uses it. The successor named in the refusal is the newest runtime
of the family. Runtimes not listed are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["RUNTIME_SCHEDULE", "RuntimeSchedule", "schedule_of"]


@dataclass(frozen=True)
class RuntimeSchedule:
    block_create: date
    block_update: date
    successor: str


def _dates(create: str, update: str, successor: str) -> RuntimeSchedule:
    return RuntimeSchedule(date.fromisoformat(create), date.fromisoformat(update), successor)


_PYTHON, _NODE, _JAVA, _DOTNET = "python3.14", "nodejs24.x", "java25", "dotnet10"
_RUBY, _PROVIDED = "ruby4.0", "provided.al2023"

RUNTIME_SCHEDULE: dict[str, RuntimeSchedule] = {
    "python2.7": _dates("2021-07-15", "2022-05-30", _PYTHON),
    "python3.6": _dates("2022-07-18", "2022-08-29", _PYTHON),
    "python3.7": _dates("2024-01-09", "2027-03-03", _PYTHON),
    "python3.8": _dates("2027-02-01", "2027-03-03", _PYTHON),
    "python3.9": _dates("2027-02-01", "2027-03-03", _PYTHON),
    "python3.10": _dates("2027-02-01", "2027-03-03", _PYTHON),
    "python3.11": _dates("2027-07-31", "2027-08-31", _PYTHON),
    "python3.12": _dates("2028-11-30", "2029-01-10", _PYTHON),
    "python3.13": _dates("2029-07-31", "2029-08-31", _PYTHON),
    "nodejs": _dates("2016-09-30", "2016-10-31", _NODE),
    "nodejs4.3": _dates("2020-02-03", "2020-03-05", _NODE),
    "nodejs4.3-edge": _dates("2019-03-31", "2019-04-30", _NODE),
    "nodejs6.10": _dates("2019-07-12", "2019-08-12", _NODE),
    "nodejs8.10": _dates("2020-02-04", "2020-03-06", _NODE),
    "nodejs10.x": _dates("2021-07-30", "2022-02-14", _NODE),
    "nodejs12.x": _dates("2023-03-31", "2023-04-30", _NODE),
    "nodejs14.x": _dates("2024-01-09", "2027-03-03", _NODE),
    "nodejs16.x": _dates("2027-02-01", "2027-03-03", _NODE),
    "nodejs18.x": _dates("2027-02-01", "2027-03-03", _NODE),
    "nodejs20.x": _dates("2027-02-01", "2027-03-03", _NODE),
    "nodejs22.x": _dates("2027-06-01", "2027-07-01", _NODE),
    "java8": _dates("2024-02-08", "2027-03-03", _JAVA),
    "java8.al2": _dates("2027-07-31", "2027-08-31", _JAVA),
    "java11": _dates("2027-07-31", "2027-08-31", _JAVA),
    "java17": _dates("2027-07-31", "2027-08-31", _JAVA),
    "dotnetcore1.0": _dates("2019-06-30", "2019-07-30", _DOTNET),
    "dotnetcore2.0": _dates("2019-04-30", "2019-05-30", _DOTNET),
    "dotnetcore2.1": _dates("2022-01-05", "2022-04-13", _DOTNET),
    "dotnetcore3.1": _dates("2023-04-03", "2023-05-03", _DOTNET),
    "dotnet6": _dates("2027-02-01", "2027-03-03", _DOTNET),
    "dotnet8": _dates("2027-02-01", "2027-03-03", _DOTNET),
    "go1.x": _dates("2024-02-08", "2027-03-03", _PROVIDED),
    "provided": _dates("2024-02-08", "2027-03-03", _PROVIDED),
    "provided.al2": _dates("2027-02-01", "2027-03-03", _PROVIDED),
    "ruby2.5": _dates("2021-07-30", "2022-03-31", _RUBY),
    "ruby2.7": _dates("2024-01-09", "2027-03-03", _RUBY),
    "ruby3.2": _dates("2027-02-01", "2027-03-03", _RUBY),
    "ruby3.3": _dates("2027-04-30", "2027-05-31", _RUBY),
}
"""Runtime identifier -> when creating and updating functions with it stop working."""


def schedule_of(runtime: str | None) -> RuntimeSchedule | None:
    return RUNTIME_SCHEDULE.get(runtime or "")
