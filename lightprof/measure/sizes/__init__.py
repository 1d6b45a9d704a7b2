"""Artifacts: files, folders, globs and Python environments, raw and compressed."""
