"""The measuring engine: pure data, no UI. Each measure reports samples as they arrive (`events`).

One folder per domain: `target/` (processes, cold start, tree memory), `sizes/` (artifacts),
`images/` (container images), `kernels/` (the Wasm lab), `attribution/`; `machine` names the
machine a measurement ran on.
"""
