SCHEDULES = [
    {"name": "commerce.import_jobs_interrupted", "func": "shouhou.commerce.tasks.import_jobs_interrupted_task",
     "minutes": 5},
]
