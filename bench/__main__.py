"""`python -m bench`: the benchmark entry point."""

from bench.run import main

raise SystemExit(main())
