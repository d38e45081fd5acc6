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
  /** The file the flag is written in, when not the file being checked. */
  file?: string;
}

const JVM_FLAG = /(?:^|\s|")((?:-Xm[xs]|-XX:(?:Max|Initial)HeapSize=)(\S+?))(?=$|\s|")/g;

/** Whether a heap flag sets the initial heap (`-Xms`), not the maximum. */
export const isInitialHeapFlag = (flag: string): boolean =>
  flag.startsWith('-Xms') || flag.startsWith('-XX:InitialHeapSize=');
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
  /** The JVM's heap sizing from the memory it sees, when a flag changes it (`-XX:MaxRAMPercentage`). */
  ram?: RamSizing;
}

/** A JVM flag that sizes the heap from memory, as written, and where. */
export interface RamFlag {
  flag: string;
  where: string;
  defaulted: string[];
  via?: Inheritance;
  /** The file the flag is written in, when not the file being checked. */
  file?: string;
}

/**
 * The heap HotSpot sizes from memory when no maximum heap is set (`Arguments::set_heap_size`):
 * `MaxRAMPercentage` (default 25, or 100 / `MaxRAMFraction`) of the memory it sees, which is the
 * container's limit unless `-XX:MaxRAM` replaces it; below `MinRAMPercentage` (default 50) of it
 * when that share is under the default maximum heap (96 MiB scaled for 64-bit words, ~125 MiB).
 */
export interface RamSizing {
  maxPercent: number;
  minPercent: number;
  /** `-XX:MaxRAM`, in bytes. */
  maxRam?: number;
  /** `-XX:MaxRAMPercentage` or `-XX:MaxRAMFraction`, `-XX:MinRAM...`, `-XX:MaxRAM`, as set. */
  maxFlag?: RamFlag;
  minFlag?: RamFlag;
  maxRamFlag?: RamFlag;
}

/** The heap HotSpot takes from memory, with the share of memory and the flags that decide it. */
export interface RamHeap {
  bytes: number;
  percent: number;
  /** The memory the percentage is of: `-XX:MaxRAM`, else the container's limit. */
  maxRamFlag?: RamFlag;
  /** The percentage or fraction flag that decides the share, when set. */
  shareFlag?: RamFlag;
}

const MiB = 1024 ** 2;

/**
 * The heap the JVM takes under a container limit of `limit` bytes, where it is certain; undefined
 * near the small-memory threshold, where it depends on the JVM's default maximum heap.
 */
export function ramHeap(sizing: RamSizing, limit: number): RamHeap | undefined {
  const memory = sizing.maxRam ?? limit;
  const small = (memory * sizing.minPercent) / 100;
  if (small < 120 * MiB)
    return {
      bytes: small,
      percent: sizing.minPercent,
      maxRamFlag: sizing.maxRamFlag,
      shareFlag: sizing.minFlag,
    };
  if (small < 128 * MiB) return undefined;
  // At least this: HotSpot raises it to the default maximum heap, never lowers it.
  return {
    bytes: (memory * sizing.maxPercent) / 100,
    percent: sizing.maxPercent,
    maxRamFlag: sizing.maxRamFlag,
    shareFlag: sizing.maxFlag,
  };
}

const RAM_FLAG =
  /(?:^|\s|")(-XX:(MaxRAMPercentage|MinRAMPercentage|MaxRAMFraction|MinRAMFraction|MaxRAM)=(\S+?))(?=$|\s|")/g;

/** The memory-sizing flags in `texts`; undefined when none changes the heap from its default. */
function ramSizing(texts: (RamFlag & { text: string })[]): RamSizing | undefined {
  const found = new Map<string, { value: number; flag: RamFlag }[]>();
  for (const { text, ...where } of texts)
    for (const match of text.matchAll(RAM_FLAG)) {
      const value = match[2] === 'MaxRAM' ? jvmBytes(match[3]) : Number(match[3]);
      if (value === undefined || !Number.isFinite(value) || value <= 0) continue;
      const flag = { ...where, flag: match[1] };
      found.set(match[2], [...(found.get(match[2]) ?? []), { value, flag }]);
    }
  // The JVM takes the last of repeated flags; which variable comes last is up to the image's
  // start script, so the smallest heap any of them gives is the one read.
  const pick = (name: string, smallest: boolean) =>
    found.get(name)?.reduce((a, b) => ((smallest ? b.value < a.value : b.value > a.value) ? b : a));
  const maxPercent = pick('MaxRAMPercentage', true);
  // HotSpot reads a fraction only when the percentage is not set.
  const maxFraction = maxPercent ? undefined : pick('MaxRAMFraction', false);
  const minPercent = pick('MinRAMPercentage', true);
  const minFraction = minPercent ? undefined : pick('MinRAMFraction', false);
  const maxRam = pick('MaxRAM', true);
  if (!maxPercent && !maxFraction && !maxRam) return undefined;
  return {
    maxPercent: maxPercent?.value ?? (maxFraction ? 100 / maxFraction.value : 25),
    minPercent: minPercent?.value ?? (minFraction ? 100 / minFraction.value : 50),
    maxRam: maxRam?.value,
    maxFlag: (maxPercent ?? maxFraction)?.flag,
    minFlag: (minPercent ?? minFraction)?.flag,
    maxRamFlag: maxRam?.flag,
  };
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
    file: string | undefined,
  ): void => {
    for (const { flag, bytes } of flagsIn(text)) {
      if (bytes === undefined) unreadable = true;
      else settings.push({ bytes, flag, where, defaulted, via, file });
    }
  };
  const jvmTexts: (RamFlag & { text: string })[] = [];
  for (const name of [...JVM_OPTION_VARIABLES, 'NODE_OPTIONS']) {
    const entry = service.environment.get(name);
    if (entry === undefined) continue;
    const value = entry.value;
    if (value !== undefined && name !== 'NODE_OPTIONS')
      jvmTexts.push({
        text: value,
        flag: '',
        where: name,
        defaulted: entry.defaulted,
        via: entry.via,
        file: entry.file,
      });
    // `KAFKA_HEAP_OPTS=${HEAP}`, or passed from the shell (`- KAFKA_HEAP_OPTS`): the image's
    // default heap may no longer apply, and the set one is unknown.
    if (value === undefined || (value.includes('$') && flagsIn(value).length === 0))
      unreadable = true;
    if (value !== undefined) collect(value, name, entry.defaulted, entry.via, entry.file);
  }
  const command = service.commandWords.join(' ');
  collect(command, 'command', [], service.commandVia, service.commandFile);
  jvmTexts.push({
    text: command,
    flag: '',
    where: 'command',
    defaulted: [],
    via: service.commandVia,
    file: service.commandFile,
  });
  // A maximum heap set anywhere, or a JVM variable that cannot be read and may set one, overrides
  // any sizing from memory.
  const setsMaximum = settings.some(
    (heap) => !isInitialHeapFlag(heap.flag) && !heap.flag.startsWith('--max'),
  );
  return {
    settings,
    unreadable,
    ram: setsMaximum || unreadable ? undefined : ramSizing(jvmTexts),
  };
}
