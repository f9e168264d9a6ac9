"""``python -m lattice_controller`` is the ``lattice-controller`` command."""

import sys

from lattice_controller.cli import main

sys.exit(main())
