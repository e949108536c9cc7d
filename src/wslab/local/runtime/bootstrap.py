"""First code of a Python execution environment: tied to the stack's life, then awslambdaric.

Before the runtime client imports the handler, the management API's requests for this
stack's APIs are pointed at the stack (:mod:`.execute_api`), for clients given AWS's
``https://{domainName}/{stage}``: set up here, by the runtime, never by the handler.
"""

from __future__ import annotations

import os
import sys

from wslab.local.api_hosts import LOOKUP_VARIABLE
from wslab.local.runtime.parent import die_with_parent


def main() -> None:
    die_with_parent()
    lookup_url = os.environ.pop(LOOKUP_VARIABLE, None)
    if lookup_url:
        from wslab.local.runtime.management_redirect import redirect_management_api

        redirect_management_api(lookup_url)
    from awslambdaric.__main__ import main as run_runtime_interface_client

    run_runtime_interface_client(sys.argv)


if __name__ == "__main__":
    main()
