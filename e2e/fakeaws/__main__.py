"""`python -m e2e.fakeaws`: run the fake AWS endpoint (see `e2e.fakeaws.server`)."""

from e2e.fakeaws.server import main

main()
