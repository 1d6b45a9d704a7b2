"""The data of a lightprof session, and nothing else: `Result` and its parts, verdicts, the JSON codec.

Nothing here imports the engine (measure), the gate, the reports or the TUI; they all read this.
"""
