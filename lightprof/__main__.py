from lightprof.cli import entry

entry()
