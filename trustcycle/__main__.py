"""`python -m trustcycle`."""

import sys

from trustcycle.cli import main

sys.exit(main())
