"""Widgets the panes share: charts, a progress line, lazy mounting, dialogs."""
