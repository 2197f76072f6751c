"""The frozen app's entry point: the same `app.cli:main` the `biddesk` command runs."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
