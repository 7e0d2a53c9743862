SCHEDULES = [
    # 三包12: repairs past 30 days (the repairer's own reasons) or 90 (waiting for parts) owe a free exchange
    {"name": "cases.repair_overdue_sweep", "func": "shouhou.cases.tasks.repair_overdue_sweep_task", "minutes": 24 * 60},
]
