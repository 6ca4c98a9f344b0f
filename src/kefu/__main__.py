"""`python -m kefu` runs the command line."""

from kefu.cli import main

main()
