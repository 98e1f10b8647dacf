"""The pieces of ``scripts/bench``: load and latency measurements of a running ``cdmx serve``.

It measures, it does not assert: see docs/capacity.md for the numbers and what bounds them.
"""
