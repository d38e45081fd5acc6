/** Which files may declare schema, judged from their text alone (no parse). */
import type { Language } from '../engine/types';
import { mayDeclarePythonSchema } from '../python/schema';
import { mayCreateIndexes } from '../typescript/created-indexes';
import { mayNameTypeormDatabase } from '../typescript/typeorm-databases';

const SQL_DDL = /\b(?:CREATE|ALTER|DROP)\b/i;

export function mayDeclareSchema(text: string, language: Language): boolean {
  switch (language) {
    case 'python':
      return mayDeclarePythonSchema(text);
    case 'sql':
      return SQL_DDL.test(text);
    case 'prisma':
      return true;
    case 'compose':
      return false;
    case 'typescript':
      // Indexes its SQL creates, and the database its TypeORM options name (`databaseUrls`).
      return mayCreateIndexes(text) || mayNameTypeormDatabase(text);
  }
}
