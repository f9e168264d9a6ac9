import sys

from e2e.chaos.run import main

sys.exit(main())
