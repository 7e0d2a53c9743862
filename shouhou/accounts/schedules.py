SCHEDULES = [{"name": "accounts.pii_retention_sweep", "func": "shouhou.accounts.tasks.pii_retention_sweep",
              "minutes": 24 * 60}]
