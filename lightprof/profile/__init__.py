"""Budget profiles: the specs (`spec`); one row per key (`keys`), read by the validator (`validate`,
with `fields` and `lines` for file:line errors); loading and discovery (`load`); writing with
comments kept (`write`); baseline files (`baseline`).
"""
