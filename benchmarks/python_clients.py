"""Python functions on awslambdaric against wslab's own runtime client: cold and warm invokes.

Run: ``.venv/bin/python benchmarks/python_clients.py [--json PATH]``

For each client, a private ``wslab local`` whose Python functions run on it
(``WSLAB_PYTHON_RUNTIME_CLIENT``); on it, as in ``local_aws.py``: sequential warm invokes
of a trivial handler, and the first invoke of each of many new functions (a cold start)
with the Init Duration it reported. wslab's client is compared with awslambdaric.
"""

from __future__ import annotations

import os
import statistics
from unittest import mock

from common import Clients, Report, local_stack, parse_arguments, progress
from local_aws import (
    COLD_FUNCTIONS,
    PYTHON,
    WARM_INVOKES,
    measure_cold_invokes,
    measure_warm_invokes,
    preload_botocore_models,
)

from wslab.local.runtime.python_client.choice import (
    AWSLAMBDARIC,
    CLIENT_VARIABLE,
    CLIENTS,
    awslambdaric_installed,
)


def measure(report: Report, client: str) -> None:
    reference = None if client == AWSLAMBDARIC else AWSLAMBDARIC
    with mock.patch.dict(os.environ, {CLIENT_VARIABLE: client}), local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        progress(f"{client}: {WARM_INVOKES} warm invokes")
        warm = measure_warm_invokes(aws, PYTHON)
        progress(f"{client}: cold invokes of {COLD_FUNCTIONS} new functions")
        cold, init_durations = measure_cold_invokes(aws, PYTHON)
    report.add_distribution(
        f"{client} warm invoke",
        warm,
        reference_name=f"{reference} warm invoke" if reference else None,
    )
    report.add_distribution(
        f"{client} cold invoke",
        cold,
        reference_name=f"{reference} cold invoke" if reference else None,
    )
    report.add(
        f"{client} cold invoke: its Init Duration, median",
        statistics.median(init_durations),
        reference=f"{reference} cold invoke: its Init Duration, median" if reference else None,
        raw=init_durations,
    )


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("python_clients")
    preload_botocore_models()
    for client in CLIENTS:
        if client == AWSLAMBDARIC and not awslambdaric_installed():
            progress("awslambdaric is not installed here: its figures are left out")
            continue
        measure(report, client)
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
