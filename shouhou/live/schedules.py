SCHEDULES = [
    {"name": "live.prune", "func": "shouhou.live.tasks.live_prune_task", "minutes": 60},
    {"name": "live.number", "func": "shouhou.live.tasks.live_number_task", "minutes": 1},
]
