SCHEDULES = [{"name": "sla.sweep", "func": "shouhou.sla.tasks.sla_sweep_task", "minutes": 1}]
