"""The gate: every subject's figures against its budgets (`targets`, `sizes`, `images`, `kernels`),
judged into verdicts (`judge`), with A/B comparisons of timings (`compare`).
"""
