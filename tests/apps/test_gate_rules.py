"""The apps gate's own rules, without running an app: the verdicts against expectations,
the vendored apps' provenance, the telling line of a failed command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apps import gate, probes, verdicts
from tests.apps.catalog import APPS, App, Step

LISTED = verdicts.Expected("deploy", "must have length less than or equal to 64", "long names")


def test_an_unlisted_app_that_passes_passes() -> None:
    assert verdicts.judge(verdicts.Outcome(None), None) == verdicts.Verdict("pass", False)


def test_an_unlisted_app_that_fails_fails_the_gate() -> None:
    verdict = verdicts.judge(verdicts.Outcome("probe", "nothing heard", "nothing heard"), None)
    assert verdict.unexpected
    assert verdict.detail == "probe: nothing heard"


def test_a_listed_failure_seen_as_listed_is_expected() -> None:
    output = "...\nValue 'x' at 'functionName' ... must have length less than or equal to 64\n"
    verdict = verdicts.judge(verdicts.Outcome("deploy", "rollback", output), LISTED)
    assert (verdict.label, verdict.unexpected, verdict.detail) == (
        "expected-fail",
        False,
        "long names",
    )


@pytest.mark.parametrize(
    "outcome",
    [
        verdicts.Outcome(None),  # the fix landed: the entry must go
        verdicts.Outcome("probe", "nothing heard", "nothing heard"),  # fails later now
        verdicts.Outcome("deploy", "other", "Template format error"),  # fails otherwise
    ],
)
def test_anything_but_the_listed_failure_fails_the_gate(outcome: verdicts.Outcome) -> None:
    assert verdicts.judge(outcome, LISTED).unexpected


def test_the_expectations_name_known_apps_phases_and_reasons() -> None:
    expected = verdicts.load(gate.EXPECTATIONS)
    assert set(expected) <= {app.name for app in APPS}
    assert all(entry.phase in verdicts.PHASES for entry in expected.values())


def test_a_malformed_expectation_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "expectations.toml"
    path.write_text('[apps.some-app]\nphase = "later"\nerror = "x"\nmissing = "y"\n')
    with pytest.raises(ValueError, match=r"\[apps.some-app\] needs phase"):
        verdicts.load(path)


def test_every_app_is_vendored_with_its_license_and_origin() -> None:
    assert {app.name for app in APPS} == {d.name for d in gate.VENDORED.iterdir() if d.is_dir()}
    for app in APPS:
        folder = gate.VENDORED / app.name
        assert (folder / "LICENSE").stat().st_size > 0, app.name
        origin = (folder / "ORIGIN").read_text(encoding="utf-8")
        assert origin.startswith("repository: https://github.com/"), app.name
        assert "\ncommit: " in origin and "\nlicense: " in origin, app.name


def test_the_telling_line_is_the_last_that_speaks_of_an_error() -> None:
    output = "\x1b[31mError: Failed to create changeset\x1b[0m\nsome detail\n\nDone.\n"
    assert gate.telling_line(output) == "Error: Failed to create changeset"
    assert gate.telling_line("one\ntwo\n") == "two"
    assert gate.telling_line("") == "(no output)"


def test_the_tools_see_the_endpoint_and_dummy_credentials_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-real-secret")
    env = gate.environment("http://127.0.0.1:1", "eu-west-1")
    assert "AWS_PROFILE" not in env
    assert env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert (env["AWS_ENDPOINT_URL"], env["AWS_REGION"]) == ("http://127.0.0.1:1", "eu-west-1")


APP = App("some-app", "a tool", "Python", probes.greeting("hello"), deploy=(), delete=())


def test_a_failed_step_is_told_by_its_error_line(tmp_path: Path) -> None:
    script = "import sys; print('Error: the template is refused'); print('bye'); sys.exit(1)"
    with pytest.raises(gate.StepFailed) as failed:
        gate.run(Step(("{host_python}", "-c", script)), APP, tmp_path, "http://127.0.0.1:1")
    assert failed.value.error == "Error: the template is refused"
    assert failed.value.output.endswith("bye\n")


def test_a_step_past_its_deadline_ends_with_what_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate, "STEP_TIMEOUT_S", 1.0)
    script = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
        "print(child.pid, flush=True); time.sleep(600)"
    )
    # The grandchild holds the step's output pipe: had it outlived the kill, reading that
    # output to its end would wait for its 600 s, and pytest's timeout would fail the test.
    with pytest.raises(gate.StepFailed, match="no end after") as failed:
        gate.run(Step(("{host_python}", "-c", script)), APP, tmp_path, "http://127.0.0.1:1")
    assert failed.value.output.strip().isdigit()
