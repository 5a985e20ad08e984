"""`python -m trustcycle.cli`."""

import sys

from trustcycle.cli import main

sys.exit(main())
