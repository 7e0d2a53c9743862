SCHEDULES = [
    {"name": "core.webhook_nonces_purge", "func": "shouhou.core.tasks.webhook_nonces_purge_task", "minutes": 6 * 60},
]
