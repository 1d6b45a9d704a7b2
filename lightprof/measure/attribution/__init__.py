"""Attribution: where a target's start-up time goes (-X importtime, py-spy, node --cpu-prof).

Empty for now: issue 15 fills it. Like the rest of `measure`, it yields data and draws nothing.
"""
