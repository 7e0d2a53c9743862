"""Write the declared periodic jobs (shouhou/config/schedule.py) as django-q2 schedules."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from shouhou.config.schedule import declared_schedules


class Command(BaseCommand):
    help = "同步周期任务到后台任务队列"

    def handle(self, *args, **opts):
        names = []
        for job in declared_schedules():
            name = job["name"] if job["name"].startswith("shouhou.") else f"shouhou.{job['name']}"
            names.append(name)
            Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": job["func"],
                    "schedule_type": Schedule.MINUTES,
                    "minutes": int(job.get("minutes", 1)),
                    "repeats": -1,
                },
            )
        removed, _ = Schedule.objects.filter(name__startswith="shouhou.").exclude(name__in=names).delete()
        self.stdout.write(f"周期任务：{len(names)} 个已同步，{removed} 个已移除")
