SCHEDULES = [
    {"name": "logistics.exception_sweep", "func": "shouhou.logistics.tasks.exception_sweep_task", "minutes": 15},
]
