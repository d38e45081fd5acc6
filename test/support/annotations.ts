/**
 * Semgrep-style fixture annotations: a comment `ruleid: <id>` says the next code line (or its own
 * line, for a trailing comment) must have a finding of that rule; `ok: <id>` says it must not;
 * `todoruleid: <id>` marks a known miss.
 */

export type AnnotationKind = 'ruleid' | 'ok' | 'todoruleid';

export interface Annotation {
  kind: AnnotationKind;
  rule: string;
  /** 1-based line the annotation is about. */
  line: number;
  /** 1-based line of the comment itself. */
  commentLine: number;
}

const ANNOTATION = /(?:#|--|\/\/)\s*(ruleid|ok|todoruleid)\s*:\s*([A-Za-z0-9_,\s-]+?)\s*$/;

export function parseAnnotations(text: string): Annotation[] {
  const lines = text.split('\n');
  const annotations: Annotation[] = [];
  lines.forEach((content, i) => {
    const match = ANNOTATION.exec(content);
    if (!match) return;
    const before = content.slice(0, match.index).trim();
    let target = i + 1;
    if (before === '') {
      // Own-line comment: the next line that is not blank and not another annotation.
      target = i + 2;
      while (
        target <= lines.length &&
        (lines[target - 1].trim() === '' ||
          (ANNOTATION.test(lines[target - 1]) && lines[target - 1].trim().match(/^(#|--|\/\/)/)))
      )
        target++;
    }
    for (const rule of match[2]
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean)) {
      annotations.push({
        kind: match[1] as AnnotationKind,
        rule,
        line: target,
        commentLine: i + 1,
      });
    }
  });
  return annotations;
}
