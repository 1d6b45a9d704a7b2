"""The measuring engine: pure data, no UI. Each measure reports samples as they arrive."""
