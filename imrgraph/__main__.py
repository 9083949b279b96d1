"""``python -m imrgraph`` is the ``imrgraph`` command."""

from imrgraph.cli import main

main()
