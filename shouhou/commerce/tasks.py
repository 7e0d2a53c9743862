"""Background tasks: take an id, call a service, safe to run twice."""

from __future__ import annotations

from shouhou.commerce.services import import_job_run


def import_job_run_task(job_id: int) -> str:
    job = import_job_run(job_id=job_id)
    return job.status if job else "skipped"


def import_jobs_interrupted_task() -> int:
    from shouhou.commerce.services import import_jobs_interrupted

    return import_jobs_interrupted()
