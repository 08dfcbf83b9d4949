"""`python -m backbeat` is the `backbeat` command."""

from backbeat.cli.app import main

main()
