"""Critical paths and a target's own telemetry, measured in its memory run after ready.

- `client`: the request loop (http.client on kept-alive loopback connections, bounded in count
  and time, its own CPU cost measured).
- `treecpu`: the CPU time of the target's whole process tree, in nanoseconds from the kernel.
- `eventlines`: `{"event": ...}` JSON lines from the target's stdout/stderr, aggregated in
  bounded memory as the run supervisor drains them.
- `prometheus`: a strict parser of the Prometheus text exposition format (counters only).
- `load`: runs the paths and the scrapes around them inside the memory run.
- `figures`: path budgets and the Wasm-vs-other rule on the target's own op events, as Figures.
"""
