SCHEDULES = [{"name": "inbox.route_waiting", "func": "shouhou.inbox.tasks.tickets_route_waiting_task", "minutes": 1}]
