// Deletes webhook inbox rows past their retention. Run nightly by cron:
//   npm run job:purge-webhooks
import { PrismaClient } from '@prisma/client';

const RETENTION_DAYS = Number(process.env.WEBHOOK_RETENTION_DAYS ?? 30);

async function main(): Promise<void> {
  const prisma = new PrismaClient();
  try {
    const cutoff = new Date(Date.now() - RETENTION_DAYS * 86_400_000);
    const { count } = await prisma.webhookEvent.deleteMany({
      where: { receivedAt: { lt: cutoff } },
    });
    console.log(`purged ${count} webhook events received before ${cutoff.toISOString()}`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
