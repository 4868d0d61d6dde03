"""`python -m fediverse_cases.cli` runs the same command as `fediverse-cases`."""

from __future__ import annotations

import sys

from fediverse_cases.cli import main

sys.exit(main())
