"""`python -m bgdesk` runs the same entry point as the `bgdesk` command."""

from bgdesk.bootstrap import main

raise SystemExit(main())
