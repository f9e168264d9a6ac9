"""The kind tier: images built here, a kind cluster, the controller as a Deployment against the fake AWS
endpoint in the cluster (`python -m e2e.kind up|down|status|test`)."""
