/** Which files may declare schema, judged from their text alone (no parse). */
import type { Language } from '../engine/types';
import { mayDeclarePythonSchema } from '../python/schema';

const SQL_DDL = /\b(?:CREATE|ALTER|DROP)\b/i;

export function mayDeclareSchema(text: string, language: Language): boolean {
  switch (language) {
    case 'python':
      return mayDeclarePythonSchema(text);
    case 'sql':
      return SQL_DDL.test(text);
    case 'prisma':
      return true;
    case 'typescript':
      return false;
  }
}
