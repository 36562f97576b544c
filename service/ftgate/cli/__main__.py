"""`python -m ftgate.cli`: the `ftgate` command."""

import sys

from ftgate.cli.main import main

sys.exit(main())
