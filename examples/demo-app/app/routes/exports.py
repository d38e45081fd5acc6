import asyncio
import os

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from app.schemas import ExportJobOut
from app.services import exports

router = APIRouter(prefix="/exports", tags=["exports"])


def _out(job: exports.ExportJob) -> ExportJobOut:
    url = f"/exports/{job.id}/file" if job.done and not job.error else None
    return ExportJobOut(id=job.id, done=job.done, error=job.error, download_url=url)


@router.post("", response_model=ExportJobOut, status_code=202)
async def start_export(customer_id: int) -> ExportJobOut:
    return _out(exports.start_export(customer_id))


@router.get("/{job_id}", response_model=ExportJobOut)
async def export_status(job_id: str, wait: float = Query(0, ge=0, le=30)) -> ExportJobOut:
    job = exports.get_job(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="unknown export")
    if wait:
        await exports.wait_for_job(job, wait)
    return _out(job)


@router.get("/{job_id}/file")
async def download_export(job_id: str) -> Response:
    job = exports.get_job(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="unknown export")
    await exports.wait_until_done(job)
    if job.error or not os.path.exists(job.path):
        raise HTTPException(status_code=410, detail="export failed or expired")
    with open(job.path, "rb") as fh:
        data = fh.read()
    exports.forget(job_id)
    return Response(
        data,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="orders-{job.customer_id}.csv"'},
    )


@router.get("/{job_id}/preview")
async def preview_export(job_id: str, lines: int = Query(20, ge=1, le=200)) -> list[str]:
    job = exports.get_job(job_id)
    if job is None or not job.done or job.error:
        raise HTTPException(status_code=404, detail="export not ready")
    if not await asyncio.to_thread(job.path.exists):
        raise HTTPException(status_code=410, detail="export expired")
    text = await asyncio.to_thread(job.path.read_text)
    return text.splitlines()[:lines]
