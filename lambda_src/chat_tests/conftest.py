"""Tests of `chat/` that a project copying the handlers can copy too: plain pytest, boto3,
nothing of this project's test support. `chat/` is imported as Lambda imports it, from the
folder above (the root of the zip).

    pytest chat_tests                       # the pure tests; the tables' tests skip
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_DEFAULT_REGION=us-east-1 \\
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test pytest chat_tests
"""

from __future__ import annotations

import sys
from pathlib import Path

HANDLERS_ROOT = str(Path(__file__).resolve().parents[1])
if HANDLERS_ROOT not in sys.path:
    sys.path.insert(0, HANDLERS_ROOT)
