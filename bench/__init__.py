"""startline benchmarks: a real server process driven by wrk; prints a table and ratios.

Run `python -m bench --help` (or `python bench/run.py`); see bench/README.md."""
