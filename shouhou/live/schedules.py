SCHEDULES = [{"name": "live.prune", "func": "shouhou.live.tasks.live_prune_task", "minutes": 60}]
