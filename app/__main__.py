"""`python -m app` runs the same entry point as the `biddesk` command."""

from app.launch import main

raise SystemExit(main())
