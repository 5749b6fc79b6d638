"""`python -m startline.cli`, as the `startline` script."""

from startline.cli import main

main()
