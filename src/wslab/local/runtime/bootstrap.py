"""First code of a Python execution environment: tied to the stack's life, then its runtime
client, ``python -m wslab.local.runtime.bootstrap <client> <handler>``: ``awslambdaric``
(AWS's) or ``wslab`` (:mod:`.python_client`, for where awslambdaric has no wheel).

Under ``wslab local --debug``, debugpy listens first and the environment waits for a
debugger to attach (:mod:`.debug_worker`). Before the runtime client imports the handler,
the management API's requests for this stack's APIs are pointed at the stack
(:mod:`.execute_api`), for clients given AWS's ``https://{domainName}/{stage}``: set up
here, by the runtime, never by the handler.
"""

from __future__ import annotations

import os
import sys

from wslab.local.api_hosts import LOOKUP_VARIABLE
from wslab.local.runtime.debugging import DEBUGPY_ADDRESS_VARIABLE
from wslab.local.runtime.parent import die_with_parent
from wslab.local.runtime.python_client.choice import AWSLAMBDARIC


def main() -> None:
    die_with_parent()
    lookup_url = os.environ.pop(LOOKUP_VARIABLE, None)
    if lookup_url:
        from wslab.local.runtime.management_redirect import redirect_management_api

        redirect_management_api(lookup_url)
    debugger_address = os.environ.pop(DEBUGPY_ADDRESS_VARIABLE, None)
    if debugger_address:
        from wslab.local.runtime.debug_worker import wait_for_debugger

        wait_for_debugger(debugger_address)  # debugpy's breakpoint() hook comes with it
    else:
        from wslab.local.runtime.debug_worker import breakpoint_ignored

        # Set here, not by PYTHONBREAKPOINT: the handler sees only Lambda's variables.
        sys.breakpointhook = breakpoint_ignored
    program, client, *arguments = sys.argv
    if client == AWSLAMBDARIC:
        from awslambdaric.__main__ import main as run_client
    else:
        from wslab.local.runtime.python_client.loop import main as run_client
    run_client([program, *arguments])


if __name__ == "__main__":
    main()
