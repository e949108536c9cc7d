"""Unit tests of the gateway's pure logic (``src/wslab/local/gateway``)."""
