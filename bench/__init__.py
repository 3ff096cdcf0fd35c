"""Hutong's benchmark suite (issue 5): a load client speaking docs/protocol.md, the server
configurations it starts, and its scenarios (``bench.scenarios.SCENARIOS``). Run with
``python -m bench`` or ``make bench``."""
