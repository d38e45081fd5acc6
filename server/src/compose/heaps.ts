/**
 * The heap a service's JVM or Node process is told to take, read from its `environment` and its
 * `command`/`entrypoint`: a heap at or above the container's memory limit gets the container
 * OOM-killed once it fills, since the process needs memory beyond its heap too.
 */
import type { ComposeService, Inheritance } from './document';
import { jvmBytes } from './sizes';

/** Variables JVM launchers read options from (images' start scripts, or the JVM itself). */
export const JVM_OPTION_VARIABLES = [
  'JAVA_OPTS',
  'ES_JAVA_OPTS',
  'OPENSEARCH_JAVA_OPTS',
  'KAFKA_HEAP_OPTS',
  'JVM_OPTS',
  '_JAVA_OPTIONS',
  'JAVA_TOOL_OPTIONS',
] as const;

export interface HeapSetting {
  bytes: number;
  /** The flag as written: `-Xmx2g`, `--max-old-space-size=4096`. */
  flag: string;
  /** Where: a variable name, or `command`. */
  where: string;
  /** The variables whose default the flag's variable took (`JAVA_OPTS: ${JAVA_OPTS:--Xmx1g}`). */
  defaulted: string[];
  /** The alias the service takes the flag through, as for any other value. */
  via?: Inheritance;
}

const JVM_FLAG = /(?:^|\s|")(-Xm[xs](\S+?))(?=$|\s|")/g;
const NODE_FLAG = /(?:^|\s|")(--max[-_]old[-_]space[-_]size=(\S+?))(?=$|\s|")/g;

/** The heap flags in one string, with their sizes (undefined when unreadable: `-Xmx${HEAP}`). */
export function flagsIn(text: string): { flag: string; bytes: number | undefined }[] {
  const found: { flag: string; bytes: number | undefined }[] = [];
  for (const match of text.matchAll(JVM_FLAG))
    found.push({ flag: match[1], bytes: jvmBytes(match[2]) });
  for (const match of text.matchAll(NODE_FLAG)) {
    const mib = /^\d+$/.test(match[2]) ? Number(match[2]) : undefined;
    found.push({ flag: match[1], bytes: mib === undefined ? undefined : mib * 1024 ** 2 });
  }
  return found;
}

export interface ServiceHeaps {
  /** The readable heap settings. */
  settings: HeapSetting[];
  /** Whether some heap flag or heap variable is set but cannot be read (`${HEAP}`). */
  unreadable: boolean;
}

/** Every heap the service sets, through the JVM variables, `NODE_OPTIONS` or its command. */
export function serviceHeaps(service: ComposeService): ServiceHeaps {
  const settings: HeapSetting[] = [];
  let unreadable = false;
  const collect = (
    text: string,
    where: string,
    defaulted: string[],
    via: Inheritance | undefined,
  ): void => {
    for (const { flag, bytes } of flagsIn(text)) {
      if (bytes === undefined) unreadable = true;
      else settings.push({ bytes, flag, where, defaulted, via });
    }
  };
  for (const name of [...JVM_OPTION_VARIABLES, 'NODE_OPTIONS']) {
    const entry = service.environment.get(name);
    if (entry === undefined) continue;
    const value = entry.value;
    // `KAFKA_HEAP_OPTS=${HEAP}`, or passed from the shell (`- KAFKA_HEAP_OPTS`): the image's
    // default heap may no longer apply, and the set one is unknown.
    if (value === undefined || (value.includes('$') && flagsIn(value).length === 0))
      unreadable = true;
    if (value !== undefined) collect(value, name, entry.defaulted, entry.via);
  }
  collect(service.commandWords.join(' '), 'command', [], service.commandVia);
  return { settings, unreadable };
}
