"""The local environment the demo and the scenario suite run in: control plane, fake AWS, controller."""
