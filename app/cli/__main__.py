"""``python -m app.cli`` (what ``torchrun`` launches) runs the command line."""

import sys

from app.cli import main

sys.exit(main())
