"""The Textual TUI. Imported only on the TUI paths: nothing outside this package imports it."""
