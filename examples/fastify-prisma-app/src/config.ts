import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Env = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  WEB_ORIGIN: z.string().default('http://localhost:5173'),
  DATABASE_URL: z.string().url(),
  REPLICA_DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().default('redis://localhost:6379'),
  REVIEWS_MONGO_URL: z.string().default('mongodb://localhost:27017/storefront'),
  CARRIER_API_URL: z.string().url().default('https://api.parcelhub.example/v2'),
  CARRIER_API_KEY: z.string().default(''),
  PAYMENT_WEBHOOK_SECRET: z.string().default(''),
});

export const env = Env.parse(process.env);

export interface ServiceLevel {
  carrier: string;
  service: string;
  days: number;
}

// Read once at startup: the service levels ship with the build and change with a deploy.
export const serviceLevels: Record<string, ServiceLevel> = JSON.parse(
  readFileSync(new URL('./service-levels.json', import.meta.url), 'utf8'),
);
