/**
 * A generated, deterministic TypeScript corpus for the benchmark: Fastify route modules, Prisma
 * services, shared types, utilities, React components and a schema.prisma; the shapes a real
 * Node back end with a React front end has, with a minority of the TypeScript and Prisma rules'
 * anti-patterns (and their correct look-alikes) so every rule does real work.
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

type Rand = () => number;

const ENTITIES = [
  'order',
  'invoice',
  'ticket',
  'shipment',
  'payment',
  'product',
  'comment',
  'booking',
  'report',
  'listing',
];

/** Share of blocks that are the planted variant of a pattern (the rest are its look-alikes). */
const PLANTED = 0.14;

/** Modules per package: 4 route modules, 2 services, types, utils, 2 React components. */
const PACKAGE_SIZE = 10;

const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
const pad = (n: number): string => String(n).padStart(2, '0');

/** One package of the corpus: a Prisma model and the modules around it. */
interface Pkg {
  p: number;
  entity: string;
  /** Model name, e.g. `Order12`. */
  cls: string;
  /** Prisma delegate, e.g. `order12`. */
  model: string;
  /** Table name for raw SQL, e.g. `order12`. */
  table: string;
  /** The model has only separate single-field indexes on `status` and `createdAt`. */
  splitIndexes: boolean;
  /** `ownerId` has no index (a planted `prisma-relation-without-index`). */
  ownerUnindexed: boolean;
}

function pkgOf(p: number): Pkg {
  const entity = ENTITIES[p % ENTITIES.length];
  return {
    p,
    entity,
    cls: `${cap(entity)}${p}`,
    model: `${entity}${p}`,
    table: `${entity}${p}`,
    splitIndexes: p % 4 === 2,
    ownerUnindexed: p % 6 === 5,
  };
}

/** Picks one item; `planted` variants are chosen with probability PLANTED, the rest evenly. */
function choose<T>(rand: Rand, ok: readonly T[], planted: readonly T[]): T {
  const list = planted.length > 0 && rand() < PLANTED ? planted : ok;
  return list[Math.floor(rand() * list.length)];
}

// ---------------------------------------------------------------------------------------------
// prisma/schema.prisma

function schema(pkgs: Pkg[]): string {
  const users = pkgs.map((k) => `  ${k.model}s ${k.cls}[] @relation("${k.cls}Owner")`).join('\n');
  const models = pkgs.map((k) => {
    const indexes = [
      k.ownerUnindexed ? '' : '  @@index([ownerId])',
      k.splitIndexes
        ? '  @@index([status])\n  @@index([createdAt])'
        : '  @@index([status, createdAt])',
      '  @@index([reference, ownerId])',
    ].filter(Boolean);
    return `
model ${k.cls} {
  id          Int       @id @default(autoincrement())
  reference   String    @unique
  ownerId     Int
  owner       User      @relation("${k.cls}Owner", fields: [ownerId], references: [id])
  status      String    @default("open")
  title       String
  amountCents Int       @default(0)
  currency    String    @default("EUR")
  payload     Json?
  createdAt   DateTime  @default(now())
  updatedAt   DateTime  @updatedAt
  items       ${k.cls}Item[]

${indexes.join('\n')}
  @@map("${k.table}")
}

model ${k.cls}Item {
  id         Int     @id @default(autoincrement())
  parentId   Int
  parent     ${k.cls} @relation(fields: [parentId], references: [id], onDelete: Cascade)
  sku        String
  quantity   Int
  priceCents Int
${k.p % 9 === 4 ? '' : '\n  @@index([parentId])'}
}
`;
  });
  return `// Generated benchmark schema.

generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  name      String
  createdAt DateTime @default(now())
${users}
}
${models.join('')}`;
}

// ---------------------------------------------------------------------------------------------
// Route modules

function routeHeader(k: Pkg, r: number): string {
  return `/** Generated benchmark module: ${k.entity} routes (${r}). */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PrismaClient } from '@prisma/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { prisma } from '../../db';
import {
  ${k.model}Summary,
  ${k.model}Totals,
  list${k.cls}sForOwner,
  load${k.cls},
  to${k.cls}Dto,
} from './service-0';
import type { ${k.cls}Dto, ${k.cls}Stats } from './types';

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z.coerce.number().int().optional(),
});

const Ids = z.object({ ids: z.array(z.number().int()).min(1).max(100) });

const Create${k.cls} = z.object({
  title: z.string().min(1).max(200),
  ownerId: z.number().int(),
  amountCents: z.number().int().min(0),
  currency: z.enum(['EUR', 'USD', 'GBP']).default('EUR'),
});

const TEMPLATE_DIR = new URL('../../templates/', import.meta.url);

export async function ${k.model}Routes${r}(app: FastifyInstance): Promise<void> {`;
}

function routeBlock(k: Pkg, r: number, b: number, rand: Rand): string {
  const base = `/${k.entity}s/${k.p}/${r}-${b}`;
  const { cls, model } = k;
  const ok: (() => string)[] = [
    () => `
  /** One page of open ${k.entity}s, newest first. */
  app.get('${base}/page', async (req) => {
    const { limit, after } = Page.parse(req.query);
    const rows = await prisma.${model}.findMany({
      where: { status: 'open' },
      orderBy: { createdAt: 'desc' },
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
    return rows.map(to${cls}Dto);
  });`,
    () => `
  app.get<{ Params: { id: string } }>('${base}/:id', async (req, reply) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id)) return reply.code(400).send({ error: 'bad id' });
    const row = await load${cls}(id);
    if (!row) return reply.code(404).send({ error: '${k.entity} not found' });
    return to${cls}Dto(row);
  });`,
    () => `
  app.get<{ Params: { reference: string } }>('${base}/ref/:reference', async (req, reply) => {
    const row = await prisma.${model}.findUnique({
      where: { reference: req.params.reference },
      include: { items: { take: 100 } },
    });
    if (!row) return reply.code(404).send({ error: '${k.entity} not found' });
    return { ...to${cls}Dto(row), items: row.items.length };
  });`,
    () => `
  /** Several ${k.entity}s at once: one query per id, run concurrently. */
  app.post('${base}/batch', async (req) => {
    const { ids } = Ids.parse(req.body);
    const rows = await Promise.all(ids.map((id) => prisma.${model}.findUnique({ where: { id } })));
    return rows.filter((row) => row !== null).map(to${cls}Dto);
  });`,
    () => `
  app.post('${base}/totals', async (req) => {
    const { ids } = Ids.parse(req.body);
    const totals = await ${model}Totals(ids);
    return ids.map((id) => ({ id, totalCents: totals.get(id) ?? 0 }));
  });`,
    () => `
  app.get('${base}/stats', async (): Promise<${cls}Stats> => {
    const [open, closed, sum] = await Promise.all([
      prisma.${model}.count({ where: { status: 'open' } }),
      prisma.${model}.count({ where: { status: 'closed' } }),
      prisma.${model}.aggregate({ where: { status: 'closed' }, _sum: { amountCents: true } }),
    ]);
    return { open, closed, revenueCents: sum._sum.amountCents ?? 0 };
  });`,
    () => `
  app.post('${base}', async (req, reply) => {
    const body = Create${cls}.parse(req.body);
    const row = await prisma.${model}.create({
      data: { ...body, reference: \`${k.entity.slice(0, 3).toUpperCase()}-\${Date.now().toString(36)}\` },
    });
    return reply.code(201).send(to${cls}Dto(row));
  });`,
    () => `
  app.patch<{ Params: { id: string } }>('${base}/:id/close', async (req, reply) => {
    const id = Number(req.params.id);
    const current = await load${cls}(id);
    if (!current) return reply.code(404).send({ error: '${k.entity} not found' });
    if (current.status === 'closed') return to${cls}Dto(current);
    const updated = await prisma.${model}.update({ where: { id }, data: { status: 'closed' } });
    return to${cls}Dto(updated);
  });`,
    () => `
  app.get<{ Params: { ownerId: string } }>('${base}/owner/:ownerId', async (req) => {
    const { limit } = Page.parse(req.query);
    const rows = await list${cls}sForOwner(Number(req.params.ownerId), limit);
    return rows.map(to${cls}Dto);
  });`,
    () => `
  app.get('${base}/recent.sql', async (req) => {
    const { limit } = Page.parse(req.query);
    return prisma.$queryRaw<{ id: number; title: string; created_at: Date }[]>\`SELECT id, title, created_at
        FROM ${k.table}
       WHERE status = 'open'
       ORDER BY created_at DESC
       LIMIT \${limit}\`;
  });`,
    () => `
  app.get<{ Params: { id: string } }>('${base}/:id/print', async (req, reply) => {
    const row = await load${cls}(Number(req.params.id));
    if (!row) return reply.code(404).send({ error: '${k.entity} not found' });
    const template = await readFile(new URL('${k.entity}.html', TEMPLATE_DIR), 'utf8');
    return reply.type('text/html').send(template.replace('{{title}}', row.title));
  });`,
    () => `
  app.get<{ Params: { id: string } }>('${base}/:id/summary', async (req) => {
    const id = Number(req.params.id);
    const summary = await ${model}Summary(id);
    const owner = summary
      ? await prisma.user.findUnique({ where: { id: summary.ownerId }, select: { name: true } })
      : null;
    return { summary, owner: owner?.name ?? null };
  });`,
  ];
  const planted: (() => string)[] = [
    () => `
  app.get('${base}/all', async () => {
    const rows = await prisma.${model}.findMany({
      where: { status: 'open' },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(to${cls}Dto);
  });`,
    () => `
  app.post('${base}/reload', async (req) => {
    const { ids } = Ids.parse(req.body);
    const result: ${cls}Dto[] = [];
    for (const id of ids) {
      const row = await prisma.${model}.findUnique({ where: { id } });
      if (row) result.push(to${cls}Dto(row));
    }
    return result;
  });`,
    () => `
  app.post('${base}/summaries', async (req) => {
    const { ids } = Ids.parse(req.body);
    const summaries = [];
    for (const id of ids) {
      summaries.push(await ${model}Summary(id));
    }
    return summaries;
  });`,
    () => `
  app.get('${base}/counts', async (): Promise<${cls}Stats> => {
    const open = await prisma.${model}.count({ where: { status: 'open' } });
    const closed = await prisma.${model}.count({ where: { status: 'closed' } });
    const sum = await prisma.${model}.aggregate({ _sum: { amountCents: true } });
    return { open, closed, revenueCents: sum._sum.amountCents ?? 0 };
  });`,
    () => `
  app.get('${base}/replica', async (req) => {
    const { limit } = Page.parse(req.query);
    const db = new PrismaClient();
    try {
      return await db.${model}.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
    } finally {
      await db.$disconnect();
    }
  });`,
    () => `
  app.get<{ Params: { id: string } }>('${base}/:id/export', async (req, reply) => {
    const row = await load${cls}(Number(req.params.id));
    if (!row) return reply.code(404).send({ error: '${k.entity} not found' });
    const template = readFileSync(new URL('${k.entity}.html', TEMPLATE_DIR), 'utf8');
    return reply.type('text/html').send(template.replace('{{title}}', row.title));
  });`,
    () => `
  app.get<{ Params: { ownerId: string } }>('${base}/owner/:ownerId/all.sql', async (req) => {
    return prisma.$queryRaw<{ id: number; title: string }[]>\`SELECT id, title, amount_cents
        FROM ${k.table}
       WHERE owner_id = \${Number(req.params.ownerId)}
       ORDER BY created_at DESC\`;
  });`,
    () => `
  app.get('${base}/dump.sql', async () => {
    return prisma.$queryRaw<Record<string, unknown>[]>\`SELECT * FROM ${k.table}
       WHERE status = 'open'
       ORDER BY created_at DESC
       LIMIT 500\`;
  });`,
    () => `
  app.post('${base}/touch', async (req) => {
    const { ids } = Ids.parse(req.body);
    ids.forEach(async (id) => {
      await prisma.${model}.update({ where: { id }, data: { updatedAt: new Date() } });
    });
    return { queued: ids.length };
  });`,
  ];
  // Queries on `title` are never indexed: a planted `prisma-query-without-index`.
  if (rand() < 0.04) {
    return `
  app.get('${base}/search', async (req) => {
    const { q } = z.object({ q: z.string().min(2) }).parse(req.query);
    return prisma.${model}.findMany({ where: { title: q }, take: 20 });
  });`;
  }
  return choose(rand, ok, planted)();
}

function routeModule(k: Pkg, r: number, rand: Rand): string {
  const blocks: string[] = [];
  const count = 20 + Math.floor(rand() * 7);
  for (let b = 0; b < count; b++) blocks.push(routeBlock(k, r, b, rand));
  return `${routeHeader(k, r)}${blocks.join('\n')}
}
`;
}

// ---------------------------------------------------------------------------------------------
// Services

function serviceCore(k: Pkg): string {
  const { cls, model } = k;
  return `/** Generated benchmark module: ${k.entity} queries. */
import type { ${cls} } from '@prisma/client';
import { prisma } from '../../db';
import type { ${cls}Dto } from './types';

export function to${cls}Dto(row: ${cls}): ${cls}Dto {
  return {
    id: row.id,
    reference: row.reference,
    title: row.title,
    status: row.status === 'closed' ? 'closed' : 'open',
    amount: { cents: row.amountCents, currency: row.currency },
    createdAt: row.createdAt.toISOString(),
  };
}

export function load${cls}(id: number): Promise<${cls} | null> {
  return prisma.${model}.findUnique({ where: { id } });
}

/** The newest ${k.entity}s of one owner. */
export function list${cls}sForOwner(ownerId: number, take = 50): Promise<${cls}[]> {
  return prisma.${model}.findMany({ where: { ownerId }, take, orderBy: { id: 'desc' } });
}

export interface ${cls}Summary {
  id: number;
  ownerId: number;
  lines: number;
  totalCents: number;
}

/** Line count and total of one ${k.entity}. */
export async function ${model}Summary(id: number): Promise<${cls}Summary | null> {
  const row = await prisma.${model}.findUnique({
    where: { id },
    include: { items: { select: { quantity: true, priceCents: true }, take: 500 } },
  });
  if (!row) return null;
  const totalCents = row.items.reduce((sum, item) => sum + item.quantity * item.priceCents, 0);
  return { id: row.id, ownerId: row.ownerId, lines: row.items.length, totalCents };
}

/** Totals of many ${k.entity}s in one grouped query. */
export async function ${model}Totals(ids: number[]): Promise<Map<number, number>> {
  const rows = await prisma.${model}.groupBy({
    by: ['id'],
    where: { id: { in: ids } },
    _sum: { amountCents: true },
  });
  return new Map(rows.map((row) => [row.id, row._sum.amountCents ?? 0]));
}
`;
}

function serviceBlock(k: Pkg, s: number, b: number, rand: Rand): string {
  const name = `${k.cls}${s}x${b}`;
  const ok: (() => string)[] = [
    () => `
/** A small LRU: a Map keeps insertion order, so the first key is the least recently used. */
export class ${name}Cache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxSize = 500,
    private readonly ttlMs = 60_000,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires < Date.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
    if (this.entries.size > this.maxSize) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}`,
    () => `
export class ${name}TimeoutError extends Error {
  override name = '${name}TimeoutError';
}

/** Rejects after \`ms\`; the timer is cleared as soon as \`work\` settles. */
export async function within${name}<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ${name}TimeoutError(\`timed out after \${ms} ms\`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}`,
    () => `
const RETRYABLE_${b} = new Set([429, 502, 503, 504]);

/** GET with up to 4 attempts and exponential backoff on 429/5xx. */
export async function fetch${name}<T>(url: string): Promise<T> {
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) return (await res.json()) as T;
    if (!RETRYABLE_${b}.has(res.status) || attempt >= 4) {
      throw new Error(\`\${url} answered \${res.status}\`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay *= 2;
  }
}`,
    () => `
type ${name}Listener = (event: { id: number; status: string }) => void;

/** In-process pub/sub; \`subscribe\` returns the unsubscribe function. */
export class ${name}Bus {
  private readonly listeners = new Set<${name}Listener>();

  subscribe(listener: ${name}Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(event: { id: number; status: string }): void {
    for (const listener of this.listeners) listener(event);
  }
}`,
    () => `
/** Flushes buffered metrics every 10 s until \`stop()\`. */
export class ${name}Metrics {
  private readonly counts = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  start(flush: (counts: Record<string, number>) => void): void {
    this.timer = setInterval(() => {
      flush(Object.fromEntries(this.counts));
      this.counts.clear();
    }, 10_000);
  }

  increment(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}`,
    () => `
export interface ${name}Page<T> {
  items: T[];
  next: string | null;
}

/** Walks a cursor-paged API; each request needs the previous page's cursor. */
export async function collect${name}<T>(baseUrl: string, max = 1_000): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = '';
  while (cursor !== null && all.length < max) {
    const res = await fetch(\`\${baseUrl}?cursor=\${encodeURIComponent(cursor)}\`);
    const page = (await res.json()) as ${name}Page<T>;
    all.push(...page.items);
    cursor = page.next;
  }
  return all;
}`,
    () => `
export type ${name}Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };

export async function attempt${name}<T>(work: () => Promise<T>): Promise<${name}Result<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

export function unwrap${name}<T>(result: ${name}Result<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}`,
  ];
  const planted: (() => string)[] = [
    () => `
const cache${name} = new Map<number, { title: string; status: string }>();

export async function cached${name}(id: number) {
  const hit = cache${name}.get(id);
  if (hit) return hit;
  const row = await prisma.${k.model}.findUnique({
    where: { id },
    select: { title: true, status: true },
  });
  if (row) cache${name}.set(id, row);
  return row;
}`,
    () => `
/** Gives up on slow upstreams after \`ms\`. */
export function race${name}<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms)),
  ]);
}`,
    () => `
let latest${name}: unknown = null;

/** Keeps the exchange rates fresh. */
export function watch${name}(url: string): void {
  setInterval(async () => {
    const res = await fetch(url);
    if (res.ok) latest${name} = await res.json();
  }, 30_000);
}

export const current${name} = () => latest${name};`,
  ];
  return choose(rand, ok, planted)();
}

function serviceModule(k: Pkg, s: number, rand: Rand): string {
  const blocks: string[] = [];
  const count = 13 + Math.floor(rand() * 5);
  for (let b = 0; b < count; b++) blocks.push(serviceBlock(k, s, b, rand));
  const head =
    s === 0
      ? serviceCore(k)
      : `/** Generated benchmark module: ${k.entity} helpers (${s}). */
import { prisma } from '../../db';
`;
  return `${head}${blocks.join('\n')}
`;
}

// ---------------------------------------------------------------------------------------------
// Types and utilities

function typesModule(k: Pkg, rand: Rand): string {
  const { cls } = k;
  const extra = Array.from(
    { length: 10 + Math.floor(rand() * 5) },
    (_, i) => `
export interface ${cls}Event${i} {
  kind: '${k.entity}.${['created', 'updated', 'closed', 'reopened', 'archived'][i % 5]}';
  id: number;
  at: string;
  actor: { id: number; name: string } | null;
  changes?: Partial<Record<keyof ${cls}Dto, { from: unknown; to: unknown }>>;
}

export function is${cls}Event${i}(value: unknown): value is ${cls}Event${i} {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return candidate.kind === '${k.entity}.${['created', 'updated', 'closed', 'reopened', 'archived'][i % 5]}' && typeof candidate.id === 'number';
}`,
  );
  return `/** Generated benchmark module: ${k.entity} types. */

export type ${cls}Status = 'open' | 'closed';

export interface Money {
  cents: number;
  currency: string;
}

export interface ${cls}Dto {
  id: number;
  reference: string;
  title: string;
  status: ${cls}Status;
  amount: Money;
  createdAt: string;
}

export interface ${cls}Stats {
  open: number;
  closed: number;
  revenueCents: number;
}

export type ${cls}Patch = Partial<Pick<${cls}Dto, 'title' | 'status'>>;

export type ReadonlyDeep<T> = {
  readonly [K in keyof T]: T[K] extends object ? ReadonlyDeep<T[K]> : T[K];
};

export enum ${cls}Priority {
  Low = 1,
  Normal = 2,
  High = 3,
  Urgent = 4,
}
${extra.join('\n')}
`;
}

function utilsModule(k: Pkg, rand: Rand): string {
  const { cls } = k;
  const helpers = [
    `
export function formatMoney${k.p}(cents: number, currency = 'EUR', locale = 'en-GB'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
}`,
    `
export function chunk${k.p}<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}`,
    `
export function groupBy${k.p}<T, K extends PropertyKey>(items: readonly T[], key: (item: T) => K) {
  const groups = {} as Record<K, T[]>;
  for (const item of items) {
    const k = key(item);
    (groups[k] ??= []).push(item);
  }
  return groups;
}`,
    `
export function debounce${k.p}<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}`,
    `
export function slugify${k.p}(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\\u0300-\\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}`,
    `
export function parseRange${k.p}(from?: string, to?: string): { from: Date; to: Date } {
  const end = to ? new Date(to) : new Date();
  const start = from ? new Date(from) : new Date(end.getTime() - 30 * 86_400_000);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw new RangeError('invalid date range');
  }
  return start <= end ? { from: start, to: end } : { from: end, to: start };
}`,
    `
export function sortBy${k.p}<T>(items: readonly T[], ...keys: ((item: T) => number | string)[]) {
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}`,
    `
export function percentile${k.p}(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}`,
    `
export function clamp${k.p}(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}`,
    `
export function pick${k.p}<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = obj[key];
  return out;
}`,
    `
export function toCsv${k.p}(rows: readonly ${cls}Dto[]): string {
  const escape = (value: string) => (/[",\\n]/.test(value) ? \`"\${value.replace(/"/g, '""')}"\` : value);
  const lines = rows.map((row) =>
    [row.reference, row.title, row.status, (row.amount.cents / 100).toFixed(2), row.createdAt]
      .map(escape)
      .join(','),
  );
  return ['reference,title,status,amount,created_at', ...lines].join('\\n');
}`,
    `
/** Remembers the last call only: cheap memoisation for selectors. */
export function memoizeOne${k.p}<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  let lastArgs: A | undefined;
  let lastResult: R | undefined;
  return (...args: A): R => {
    if (lastArgs && args.length === lastArgs.length && args.every((a, i) => a === lastArgs![i])) {
      return lastResult as R;
    }
    lastArgs = args;
    lastResult = fn(...args);
    return lastResult;
  };
}`,
    `
export function diff${k.p}(before: ${cls}Dto, after: ${cls}Dto): (keyof ${cls}Dto)[] {
  return (Object.keys(after) as (keyof ${cls}Dto)[]).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}`,
    `
export function summarize${k.p}(rows: readonly ${cls}Dto[]) {
  const byStatus = new Map<string, { count: number; cents: number }>();
  for (const row of rows) {
    const entry = byStatus.get(row.status) ?? { count: 0, cents: 0 };
    entry.count += 1;
    entry.cents += row.amount.cents;
    byStatus.set(row.status, entry);
  }
  return [...byStatus.entries()]
    .map(([status, { count, cents }]) => ({ status, count, averageCents: Math.round(cents / count) }))
    .sort((a, b) => b.count - a.count);
}`,
  ];
  const chosen = helpers.filter(() => rand() < 0.85);
  return `/** Generated benchmark module: ${k.entity} utilities. */
import { readFileSync } from 'node:fs';
import type { ${cls}Dto } from './types';

// Read once when the module loads.
const LABELS: Record<string, string> = JSON.parse(
  readFileSync(new URL('./labels.json', import.meta.url), 'utf8'),
);

export function label${cls}(dto: ${cls}Dto): string {
  return \`\${LABELS[dto.status] ?? dto.status}: \${dto.title} (\${dto.reference})\`;
}

export function total${cls}(rows: readonly ${cls}Dto[]): number {
  return rows.reduce((sum, row) => sum + row.amount.cents, 0);
}
${chosen.join('\n')}
`;
}

// ---------------------------------------------------------------------------------------------
// React components

function componentModule(k: Pkg, c: number, rand: Rand): string {
  const { cls } = k;
  const name = `${cls}${c === 0 ? 'Panel' : 'Table'}`;
  const api = `/api/${k.entity}s/${k.p}/0-0`;
  const effects: string[] = [];
  const count = 2 + Math.floor(rand() * 3);
  for (let e = 0; e < count; e++) {
    effects.push(
      choose(
        rand,
        [
          `
  useEffect(() => {
    const controller = new AbortController();
    fetch('${api}/page?limit=50', { signal: controller.signal })
      .then((res) => res.json() as Promise<Row[]>)
      .then(setRows)
      .catch(() => undefined);
    return () => controller.abort();
  }, []);`,
          `
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);`,
          `
  useEffect(() => {
    const onResize = () => setWide(window.innerWidth > 960);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);`,
          `
  useEffect(() => {
    let delay = 5_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let etag: string | null = null;
    const poll = async () => {
      try {
        const res = await fetch('${api}/stats', { headers: etag ? { 'If-None-Match': etag } : {} });
        if (res.status === 200) {
          etag = res.headers.get('ETag');
          setStats((await res.json()) as Stats);
          delay = 5_000;
        } else {
          delay = Math.min(delay * 2, 120_000);
        }
      } catch {
        delay = Math.min(delay * 2, 120_000);
      }
      timer = setTimeout(poll, delay);
    };
    void poll();
    return () => clearTimeout(timer);
  }, []);`,
        ],
        [
          `
  useEffect(() => {
    setInterval(() => setNow(Date.now()), 1000);
  }, []);`,
          `
  useEffect(() => {
    const id = setInterval(async () => {
      const res = await fetch('${api}/stats');
      if (res.ok) setStats((await res.json()) as Stats);
    }, 5000);
    return () => clearInterval(id);
  }, []);`,
          `
  useEffect(() => {
    window.addEventListener('resize', () => setWide(window.innerWidth > 960));
  }, []);`,
        ],
      ),
    );
  }
  const columns = ['reference', 'title', 'status', 'amountCents', 'createdAt'];
  const cells = columns
    .map((col) =>
      col === 'amountCents'
        ? `              <td className="num">{(row.amountCents / 100).toFixed(2)}</td>`
        : `              <td>{String(row.${col})}</td>`,
    )
    .join('\n');
  return `/** Generated benchmark module: ${k.entity} ${c === 0 ? 'panel' : 'table'}. */
import { useEffect, useMemo, useState, type ChangeEvent, type FormEvent } from 'react';

interface Row {
  id: number;
  reference: string;
  title: string;
  status: 'open' | 'closed';
  amountCents: number;
  createdAt: string;
}

interface Stats {
  open: number;
  closed: number;
  revenueCents: number;
}

type SortKey = keyof Row;

export interface ${name}Props {
  title?: string;
  pageSize?: number;
  onSelect?: (row: Row) => void;
}

/** Edits one row; the request is aborted if the drawer closes first. */
export function ${name}Details({ row, onClose }: { row: Row; onClose: (saved?: Row) => void }) {
  const [draft, setDraft] = useState({ title: row.title, status: row.status });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [controller] = useState(() => new AbortController());

  useEffect(() => () => controller.abort(), [controller]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const res = await fetch(\`${api}/\${row.id}\`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(draft),
        signal: controller.signal,
      });
      if (!res.ok) throw new Error(\`save failed (\${res.status})\`);
      onClose((await res.json()) as Row);
    } catch (err) {
      if (!controller.signal.aborted) setError(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="drawer" onSubmit={submit}>
      <h3>{row.reference}</h3>
      <label>
        Title
        <input
          value={draft.title}
          onChange={(event) => setDraft({ ...draft, title: event.target.value })}
          maxLength={200}
          required
        />
      </label>
      <label>
        Status
        <select
          value={draft.status}
          onChange={(event) => setDraft({ ...draft, status: event.target.value as Row['status'] })}
        >
          <option value="open">open</option>
          <option value="closed">closed</option>
        </select>
      </label>
      {error && <p className="error">{error}</p>}
      <button type="submit" disabled={saving}>
        {saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" onClick={() => onClose()}>
        Cancel
      </button>
    </form>
  );
}

export function ${name}({ title = '${cap(k.entity)}s', pageSize = 25, onSelect }: ${name}Props) {
  const [rows, setRows] = useState<Row[]>([]);
  const [stats, setStats] = useState<Stats | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [wide, setWide] = useState(true);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'createdAt', desc: true });
  const [page, setPage] = useState(0);
${effects.join('\n')}

  const visible = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = needle
      ? rows.filter((row) => \`\${row.reference} \${row.title}\`.toLowerCase().includes(needle))
      : rows;
    const sorted = [...filtered].sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.desc ? -order : order;
    });
    return sorted.slice(page * pageSize, (page + 1) * pageSize);
  }, [rows, query, sort, page, pageSize]);

  const onQuery = (event: ChangeEvent<HTMLInputElement>) => {
    setQuery(event.target.value);
    setPage(0);
  };

  const toggleSort = (key: SortKey) =>
    setSort((current) => ({ key, desc: current.key === key ? !current.desc : true }));

  return (
    <section className={wide ? '${k.entity}-panel wide' : '${k.entity}-panel'}>
      <header>
        <h2>{title}</h2>
        {stats && (
          <p className="stats">
            {stats.open} open · {stats.closed} closed · {(stats.revenueCents / 100).toFixed(2)}
          </p>
        )}
        <small>updated {new Date(now).toLocaleTimeString()}</small>
        <input value={query} onChange={onQuery} placeholder="Search ${k.entity}s" />
      </header>
      <table>
        <thead>
          <tr>
${columns.map((col) => `            <th onClick={() => toggleSort('${col}')}>${col}</th>`).join('\n')}
          </tr>
        </thead>
        <tbody>
          {visible.map((row) => (
            <tr key={row.id} onClick={() => onSelect?.(row)}>
${cells}
            </tr>
          ))}
        </tbody>
      </table>
      <footer>
        <button disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
          Previous
        </button>
        <span>page {page + 1}</span>
        <button disabled={(page + 1) * pageSize >= rows.length} onClick={() => setPage((p) => p + 1)}>
          Next
        </button>
      </footer>
    </section>
  );
}
`;
}

// ---------------------------------------------------------------------------------------------
// Fixed files

const DB = `/** Generated benchmark module: the one PrismaClient of the process. */
import { PrismaClient } from '@prisma/client';

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma = globalForPrisma.prisma ?? new PrismaClient();

if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;
`;

const VITE_CONFIG = `import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  build: {
    minify: 'terser',
    terserOptions: { compress: { drop_console: false, passes: 2 } },
  },
});
`;

function serverModule(pkgs: Pkg[]): string {
  const imports = pkgs
    .map((k) => `import { ${k.model}Routes0 } from './modules/pkg${pad(k.p)}/routes-0';`)
    .join('\n');
  const registrations = pkgs
    .map((k) => `  await app.register(${k.model}Routes0, { prefix: '/api' });`)
    .join('\n');
  return `/** Generated benchmark module: the Fastify server. */
import Fastify from 'fastify';
${imports}

export async function buildServer() {
  const app = Fastify({ logger: true });
${registrations}
  return app;
}
`;
}

export interface TsCorpus {
  dir: string;
  files: number;
  bytes: number;
  lines: number;
}

const EXTENSIONS = ['.ts', '.tsx', '.prisma'];

/**
 * Writes (or reuses) the corpus under `dir`: `files` modules (default 500, about 220 lines each)
 * in packages of ten, plus schema.prisma, db.ts, server.ts and a Vite config.
 */
export function generateTsCorpus(dir: string, options: { files?: number } = {}): TsCorpus {
  const files = options.files ?? 500;
  const marker = path.join(dir, `.complete-ts-v1-${files}`);
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    const rand = random(4242);
    const packages = Math.ceil(files / PACKAGE_SIZE);
    const pkgs = Array.from({ length: packages }, (_, p) => pkgOf(p));
    const write = (rel: string, text: string): void => {
      const full = path.join(dir, rel);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
    };
    for (let i = 0; i < files; i++) {
      const k = pkgs[Math.floor(i / PACKAGE_SIZE)];
      const slot = i % PACKAGE_SIZE;
      const src = `src/modules/pkg${pad(k.p)}`;
      if (slot < 4) write(`${src}/routes-${slot}.ts`, routeModule(k, slot, rand));
      else if (slot < 6) write(`${src}/service-${slot - 4}.ts`, serviceModule(k, slot - 4, rand));
      else if (slot === 6) write(`${src}/types.ts`, typesModule(k, rand));
      else if (slot === 7) {
        write(`${src}/utils.ts`, utilsModule(k, rand));
        write(`${src}/labels.json`, JSON.stringify({ open: 'Open', closed: 'Closed' }));
      } else {
        const name = slot === 8 ? 'Panel' : 'Table';
        write(`web/src/pkg${pad(k.p)}/${k.cls}${name}.tsx`, componentModule(k, slot - 8, rand));
      }
    }
    write('prisma/schema.prisma', schema(pkgs));
    write('src/db.ts', DB);
    write('src/server.ts', serverModule(pkgs));
    write('web/vite.config.ts', VITE_CONFIG);
    fs.writeFileSync(marker, '');
  }
  let bytes = 0;
  let lines = 0;
  let count = 0;
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
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
