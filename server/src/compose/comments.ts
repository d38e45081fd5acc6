/**
 * Where YAML comments start. Read from the `yaml` package's concrete syntax tree rather than by
 * scanning for `#`, which also appears inside quoted values, block scalars (`command: |`) and
 * URLs (`http://host/#anchor`), where it starts no comment.
 */
import { Parser } from 'yaml';

function collect(node: unknown, starts: number[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, starts);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const token = node as { type?: unknown; offset?: unknown };
  if (token.type === 'comment' && typeof token.offset === 'number') {
    starts.push(token.offset);
    return;
  }
  for (const value of Object.values(node))
    if (value && typeof value === 'object') collect(value, starts);
}

/** Offsets of every comment's `#`, in order. */
export function yamlCommentStarts(text: string): number[] {
  const starts: number[] = [];
  for (const token of new Parser().parse(text)) collect(token, starts);
  return starts.sort((a, b) => a - b);
}
