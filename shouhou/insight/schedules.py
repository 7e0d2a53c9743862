SCHEDULES = [
    {"name": "insight.rollup_refresh", "func": "shouhou.insight.tasks.rollup_refresh_task", "minutes": 60},
    {"name": "insight.improvement_measure", "func": "shouhou.insight.tasks.improvement_measure_task",
     "minutes": 6 * 60},
]
