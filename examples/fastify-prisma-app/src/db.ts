import { PrismaClient } from '@prisma/client';
import { env } from './config';

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

/** The one client (and connection pool) of the process; `tsx watch` reloads reuse it. */
export const prisma =
  globalForPrisma.prisma ??
  new PrismaClient({
    log: env.NODE_ENV === 'development' ? ['query', 'warn', 'error'] : ['warn', 'error'],
  });

if (env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;

let replicaClient: PrismaClient | undefined;

/** The read replica for reports, created on first use and shared after that. */
export function replica(): PrismaClient {
  if (!replicaClient) {
    replicaClient = env.REPLICA_DATABASE_URL
      ? new PrismaClient({ datasourceUrl: env.REPLICA_DATABASE_URL })
      : prisma;
  }
  return replicaClient;
}
