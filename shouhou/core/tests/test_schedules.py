import pytest
from django.core.management import call_command
from django_q.models import Schedule

from shouhou.config import schedule

pytestmark = pytest.mark.django_db


def test_schedules_sync_writes_declared_jobs_and_removes_stale(monkeypatch):
    monkeypatch.setattr(schedule, "declared_schedules",
                        lambda: [{"name": "sla-sweep", "func": "shouhou.sla.tasks.sweep", "minutes": 2}])
    monkeypatch.setattr("shouhou.core.management.commands.schedules_sync.declared_schedules",
                        schedule.declared_schedules)
    Schedule.objects.create(name="shouhou.old-job", func="x.y", schedule_type=Schedule.MINUTES, minutes=1)

    call_command("schedules_sync", verbosity=0)

    rows = {s.name: s for s in Schedule.objects.all()}
    assert set(rows) == {"shouhou.sla-sweep"}
    assert rows["shouhou.sla-sweep"].func == "shouhou.sla.tasks.sweep"
    assert rows["shouhou.sla-sweep"].minutes == 2
