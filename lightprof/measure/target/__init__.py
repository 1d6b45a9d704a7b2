"""Targets: spawning and reaping process trees, ready probes, cold-start runs and tree memory."""
