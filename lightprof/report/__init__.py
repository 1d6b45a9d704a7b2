"""Renderers of one Result: terminal table, JSON, Markdown, JUnit XML, GitHub annotations."""
