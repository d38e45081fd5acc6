"""CSV exports of a customer's orders, written in a worker thread and downloaded once."""

import asyncio
import csv
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.config import get_settings
from app.db import SessionLocal
from app.models import Order

settings = get_settings()

COLUMNS = ("id", "status", "currency", "total_cents", "created_at")


@dataclass
class ExportJob:
    id: str
    customer_id: int
    path: Path
    done: bool = False
    error: str | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)


_jobs: dict[str, ExportJob] = {}
_tasks: set[asyncio.Task[None]] = set()


def get_job(job_id: str) -> ExportJob | None:
    return _jobs.get(job_id)


def forget(job_id: str) -> None:
    job = _jobs.pop(job_id, None)
    if job is not None:
        job.path.unlink(missing_ok=True)


def _write_csv(path: Path, customer_id: int, max_rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    stmt = (
        select(Order.id, Order.status, Order.currency, Order.total_cents, Order.created_at)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at)
        .limit(max_rows)
    )
    with SessionLocal() as db, path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(db.execute(stmt))


async def _run(job: ExportJob) -> None:
    try:
        await asyncio.to_thread(_write_csv, job.path, job.customer_id, settings.max_export_rows)
    except Exception as exc:  # surfaced to the client through the job status
        job.error = str(exc)
    finally:
        job.done = True
        job.finished.set()


def start_export(customer_id: int) -> ExportJob:
    job_id = uuid.uuid4().hex
    job = ExportJob(job_id, customer_id, Path(settings.export_dir) / f"{job_id}.csv")
    _jobs[job_id] = job
    task = asyncio.get_running_loop().create_task(_run(job))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return job


async def wait_for_job(job: ExportJob, timeout: float) -> bool:
    try:
        await asyncio.wait_for(job.finished.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def wait_until_done(job: ExportJob) -> ExportJob:
    while not job.done:
        await asyncio.sleep(0.5)
    return job
