"""Settings modules for what-if runs: ``BENCH_DJANGO_SETTINGS=bench.whatif.<name>``.

Each star-imports ``chatsite.settings`` and changes one thing, so a proposed server change
can be measured before anyone edits ``chatsite/`` or ``im/``. Never used by the server itself.
"""
