"""Contract suite of the fake AWS endpoint (e2e.fakeaws), driven through aiobotocore."""
