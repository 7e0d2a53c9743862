SCHEDULES = [
    {"name": "inbox.route_waiting", "func": "shouhou.inbox.tasks.tickets_route_waiting_task", "minutes": 1},
    {"name": "inbox.delivery_retry", "func": "shouhou.inbox.tasks.delivery_retry_task", "minutes": 1},
    {"name": "inbox.kf_fetch_retry", "func": "shouhou.inbox.tasks.kf_fetch_retry_task", "minutes": 5},
]
