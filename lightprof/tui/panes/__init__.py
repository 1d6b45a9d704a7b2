"""The panes: each draws what the app gives it (from the controller) and measures nothing."""
