"""lightprof: a terminal profiler for lightweight execution."""

__version__ = "0.1.0"
