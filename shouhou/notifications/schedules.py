SCHEDULES = [
    {"name": "notifications.outbox_dispatch", "func": "shouhou.notifications.tasks.outbox_dispatch_task",
     "minutes": 1},
]
