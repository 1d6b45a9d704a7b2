"""Budget profiles: the specs (`spec`), loading (`load`) and validation with file:line errors
(`validate`, `fields`, `lines`), writing with comments kept (`write`) and baseline files (`baseline`).
"""
