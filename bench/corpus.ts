/**
 * A generated, deterministic Python corpus for the benchmark: FastAPI routes, SQLAlchemy models,
 * services with embedded SQL, utilities; the same shapes real services have, with a sprinkling
 * of the anti-patterns so every rule does real work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A small seeded PRNG (mulberry32), so every run scans the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENTITIES = [
  'order',
  'user',
  'invoice',
  'ticket',
  'event',
  'product',
  'shipment',
  'payment',
  'comment',
  'session',
];

function model(entity: string, n: number): string {
  const cls = entity[0].toUpperCase() + entity.slice(1) + n;
  return `
class ${cls}(Base):
    __tablename__ = "${entity}s_${n}"

    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("users.id")${n % 2 ? ', index=True' : ''})
    status = Column(String(32), nullable=False, default="open")
    created_at = Column(DateTime, default=datetime.utcnow, index=True)
    payload = Column(JSON)
    notes = Column(Text)
    items = relationship("Item${n}", back_populates="${entity}")
`;
}

function route(entity: string, n: number, rand: () => number): string {
  const cls = entity[0].toUpperCase() + entity.slice(1) + n;
  const variants = [
    `
@router.get("/${entity}s/${n}")
def list_${entity}s_${n}(status: str, db: Session = Depends(get_db)):
    rows = db.query(${cls}).filter(${cls}.status == status).all()
    return [serialize(row) for row in rows]
`,
    `
@router.get("/${entity}s/${n}/page")
def page_${entity}s_${n}(skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
    return db.query(${cls}).order_by(${cls}.id).offset(skip).limit(limit).all()
`,
    `
@router.get("/${entity}s/${n}/{item_id}")
async def get_${entity}_${n}(item_id: int, db: AsyncSession = Depends(get_async_db)):
    result = await db.execute(select(${cls}).where(${cls}.id == item_id))
    return result.scalar_one_or_none()
`,
    `
@router.post("/${entity}s/${n}/sync")
async def sync_${entity}s_${n}(payload: dict):
    for attempt in range(3):
        try:
            return await http_client.post("/sync/${entity}", json=payload, timeout=10)
        except httpx.TimeoutException:
            await asyncio.sleep(2 ** attempt)
`,
  ];
  return variants[Math.floor(rand() * variants.length)];
}

function service(entity: string, n: number, rand: () => number): string {
  const limit = rand() < 0.5 ? ' LIMIT 100' : '';
  return `
def ${entity}_report_${n}(conn, since, region):
    """Daily ${entity} totals for the dashboard."""
    sql = """
        SELECT date_trunc('day', created_at) AS day, region, count(*) AS total, sum(amount) AS amount
        FROM ${entity}s
        WHERE created_at >= ? AND region = ?
        GROUP BY 1, 2
        ORDER BY 1 DESC${limit}
    """
    rows = conn.execute(sql, (since, region)).fetchall()
    result = []
    for day, reg, total, amount in rows:
        if total == 0:
            continue
        average = amount / total if total else 0
        result.append({"day": day.isoformat(), "region": reg, "total": total, "average": round(average, 2)})
    return result


def ${entity}_lookup_${n}(conn, ${entity}_id):
    return conn.execute("SELECT id, status, created_at FROM ${entity}s WHERE id = ?", (${entity}_id,)).fetchone()


def enrich_${entity}s_${n}(db, ids):
    owners = {}
    for ${entity}_id in ids:
        owners[${entity}_id] = db.query(User).filter(User.id == ${entity}_id).first()
    return owners


def summarize_${entity}_${n}(values):
    buckets = {}
    for value in values:
        key = value.get("kind", "other")
        buckets.setdefault(key, []).append(value)
    totals = {key: sum(v.get("amount", 0) for v in group) for key, group in buckets.items()}
    ordered = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    return ordered[:10]
`;
}

const HEADER = `"""Generated benchmark module."""
import asyncio
import time
from datetime import datetime

import httpx
from fastapi import APIRouter, Depends
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, relationship

from app.db import Base, get_async_db, get_db
from app.serializers import serialize

router = APIRouter()
http_client = httpx.AsyncClient(timeout=10)
`;

export interface Corpus {
  dir: string;
  files: number;
  bytes: number;
  lines: number;
}

/**
 * Writes (or reuses) one module of about `bytes` under `dir`: the corpus's routes and services
 * one after another, thousands of definitions in one file, as in a large legacy module. Costs
 * that grow with the definitions around a node (tree-sitter's `parent` walks down from the root)
 * show here and not in the corpus of small files.
 */
export function generateLargeModule(dir: string, bytes: number): Corpus {
  const file = path.join(dir, 'app', 'legacy.py');
  const marker = path.join(dir, `.complete-v1-${bytes}`);
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const rand = random(7);
    const parts = [HEADER];
    let size = HEADER.length;
    for (let n = 0; size < bytes; n++) {
      const entity = ENTITIES[n % ENTITIES.length];
      const part = n % 2 === 0 ? route(entity, n, rand) : service(entity, n, rand);
      if (size + part.length + 1 > bytes) break;
      parts.push(part);
      size += part.length + 1;
    }
    fs.writeFileSync(file, parts.join('\n'));
    fs.writeFileSync(marker, '');
  }
  const text = fs.readFileSync(file, 'utf8');
  return { dir, files: 1, bytes: Buffer.byteLength(text), lines: text.split('\n').length };
}

/** Writes (or reuses) the corpus under `dir`: `files` modules of about 250 lines each. */
export function generateCorpus(dir: string, files = 1000): Corpus {
  const marker = path.join(dir, `.complete-v2-${files}`);
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    const rand = random(42);
    for (let i = 0; i < files; i++) {
      const entity = ENTITIES[i % ENTITIES.length];
      const folder = path.join(dir, 'app', `pkg${Math.floor(i / 50)}`);
      fs.mkdirSync(folder, { recursive: true });
      // Like a real service: one module in ten holds models, the rest routes and services.
      const parts = [HEADER];
      const kind = i % 10 === 0 ? 'models' : i % 2 === 0 ? 'routes' : 'services';
      for (let k = 0; k < 5; k++) {
        const n = i * 5 + k;
        if (kind === 'models')
          parts.push(model(entity, n), model(ENTITIES[(i + 3) % ENTITIES.length], n + 1));
        else if (kind === 'routes')
          parts.push(route(entity, n, rand), route(entity, n + 1, rand), service(entity, n, rand));
        else parts.push(service(entity, n, rand), route(entity, n, rand));
      }
      fs.writeFileSync(path.join(folder, `${kind}_${entity}_${i}.py`), parts.join('\n'));
    }
    fs.writeFileSync(marker, '');
  }
  let bytes = 0;
  let lines = 0;
  let count = 0;
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.py')) {
        const text = fs.readFileSync(full, 'utf8');
        bytes += Buffer.byteLength(text);
        lines += text.split('\n').length;
        count++;
      }
    }
  };
  walk(dir);
  return { dir, files: count, bytes, lines };
}
