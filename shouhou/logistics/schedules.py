SCHEDULES = [
    {"name": "logistics.exception_sweep", "func": "shouhou.logistics.tasks.exception_sweep_task", "minutes": 15},
    {"name": "logistics.subscriptions_dispatch", "func": "shouhou.logistics.tasks.subscriptions_dispatch_task",
     "minutes": 1},
]
