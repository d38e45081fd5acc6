import asyncio
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

from fastapi import APIRouter, HTTPException

from app import analytics
from app.config import get_settings
from app.utils.fx import fx

settings = get_settings()
router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/backup")
async def create_backup() -> dict[str, str]:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = Path(settings.backup_dir) / f"shoplens-{stamp}.dump"
    result = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={target}", settings.database_url],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise HTTPException(status_code=500, detail=result.stderr.strip()[-500:])
    return {"backup": target.name}


@router.get("/disk")
async def disk_usage() -> dict[str, str]:
    proc = await asyncio.create_subprocess_exec(
        "du",
        "-sh",
        settings.export_dir,
        settings.backup_dir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    usage = {}
    for line in out.decode().splitlines():
        size, path = line.split("\t", 1)
        usage[path] = size
    return usage


@router.post("/fx/sync")
def sync_fx_rates() -> dict[str, int]:
    today = date.today()
    rows = []
    for currency in ("USD", "GBP", "CHF", "SEK", "PLN"):
        rows.append((today, currency, float(fx.rate(currency))))
    analytics.record_fx_rates(rows)
    return {"currencies": len(rows)}
