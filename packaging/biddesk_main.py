"""The frozen app's entry point: the same `app.launch:main` the `biddesk` command runs."""

import os
import sys

# A windowed Windows executable (biddesk.exe, no console) starts with no stdout or stderr:
# PyInstaller sets them to None, and the first print or log line would then raise.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the app
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115

# Imported after the streams exist: logging handlers bind to them.
from app.launch import main

if __name__ == "__main__":
    sys.exit(main())
