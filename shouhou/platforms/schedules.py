SCHEDULES = [
    {"name": "platforms.outbox_send", "func": "shouhou.platforms.tasks.outbox_send_task", "minutes": 1},
    {"name": "platforms.reconcile", "func": "shouhou.platforms.tasks.sync_task", "minutes": 15},
    {"name": "platforms.tokens_refresh", "func": "shouhou.platforms.tasks.tokens_refresh_task", "minutes": 60},
    {"name": "platforms.events_retry", "func": "shouhou.platforms.tasks.events_retry_task", "minutes": 1},
    {"name": "platforms.orders_sync", "func": "shouhou.platforms.tasks.orders_sync_task", "minutes": 5},
    {"name": "platforms.orders_reconcile", "func": "shouhou.platforms.tasks.orders_reconcile_task", "minutes": 24 * 60},
]
