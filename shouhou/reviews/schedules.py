SCHEDULES = [
    {"name": "reviews: recovery task breaches", "func": "shouhou.reviews.tasks.sweep_recovery_breaches", "minutes": 5},
]
