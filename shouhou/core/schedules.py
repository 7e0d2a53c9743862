SCHEDULES = [
    {"name": "core.webhook_nonces_purge", "func": "shouhou.core.tasks.webhook_nonces_purge_task", "minutes": 6 * 60},
    # rate-limit windows and portal guesses that ended (core/counters.py; the database's, Redis expires its own)
    {"name": "core.counters_purge", "func": "shouhou.core.tasks.counters_purge_task", "minutes": 60},
]
