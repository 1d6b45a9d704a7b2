"""Where a target's cold start goes: its imports (-X importtime), its hot functions (py-spy, node
--cpu-prof), the imports that could wait (lazy-load candidates) and fresh compile caches (cache = "cold").

Nothing here is imported unless attribution is asked for (--attribute, an import budget, or
cache = "cold"): the headless path pays nothing for it. `attribute.attribute_target` is the entry point.
"""
