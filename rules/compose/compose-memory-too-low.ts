import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { ComposeService, Inheritance, MemorySetting } from '../../server/src/compose/document';
import {
  flagsIn,
  isInitialHeapFlag,
  ramHeap,
  serviceHeaps,
  type RamHeap,
  type HeapSetting,
  type ServiceHeaps,
} from '../../server/src/compose/heaps';
import { imageNeed, sizesOwnHeap, type ImageNeed } from '../../server/src/compose/images';
import { composeServices, pathFrom } from '../../server/src/compose/project';
import { composeBytes, formatBytes } from '../../server/src/compose/sizes';

/** ` unless `SONAR_MEM` is set`: a default interpolated in is what runs only without one. */
function unlessSet(variables: string[]): string {
  const names = [...new Set(variables)].map((name) => `\`${name}\``);
  return names.length === 0 ? '' : ` unless ${names.join(' or ')} is set`;
}

const limitText = (setting: MemorySetting, bytes: number): string =>
  `\`${setting.key}: ${setting.value.text}\`` +
  (setting.value.via ? ` (from \`${setting.value.via.text}\`)` : '') +
  ` caps the container at ${formatBytes(bytes)}${unlessSet(setting.value.defaulted)}`;

/**
 * Where a finding goes. A limit the service writes: on it. A limit merged from an `x-` template
 * along with what makes it too low (the heap, the image): on the template's limit, one line to
 * change for every service that merges both, reported once. A limit merged in while the heap or
 * image is the service's own: on the alias in the service (`<<: *jvm-defaults`), so the finding,
 * and a `perflens-ignore` for it, concern this service and not every service sharing the template.
 * A range in another file (`file` set) is that file's to report.
 */
function findingRange(
  setting: MemorySetting,
  reason: Inheritance | undefined,
): { start: number; end: number; file?: string } {
  const via = setting.value.via;
  return via && (via.start !== reason?.start || via.file !== reason.file) ? via : setting.value;
}

/** `Service `a``, `Services `a` and `b``: the services a finding concerns. */
function servicesLabel(names: string[]): string {
  const quoted = names.map((name) => `\`${name}\``);
  if (quoted.length === 1) return `Service ${quoted[0]}`;
  return `Services ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/**
 * `its command`, `` `JAVA_OPTS` ``, and the file it is written in when not this one (an override
 * file, a base's): the line to read is not where the finding is.
 */
function placeOf(checked: string, { where, file }: { where: string; file?: string }): string {
  const place = where === 'command' ? 'its command' : `\`${where}\``;
  return file === undefined ? place : `${place} in \`${pathFrom(checked, file)}\``;
}

function heapMessage(
  who: string,
  setting: MemorySetting,
  bytes: number,
  heap: HeapSetting,
  checked: string,
): string {
  return (
    `${who}: ${placeOf(checked, heap)} sets a ${formatBytes(heap.bytes)} heap ` +
    `(\`${heap.flag}\`${unlessSet(heap.defaulted)}) but ` +
    `${limitText(setting, bytes)}: the process needs memory beyond its heap, and the container is ` +
    'OOM-killed once the heap fills'
  );
}

function needMessage(
  who: string,
  service: ComposeService,
  setting: MemorySetting,
  bytes: number,
  need: ImageNeed,
): string {
  const image = service.image
    ? `\`${service.image.value}\`${unlessSet(service.image.defaulted)}`
    : '';
  const subject = `${who} (${image}): ${limitText(setting, bytes)}`;
  return need.kind === 'default-heap'
    ? `${subject}, but ${need.product} starts with a ${formatBytes(need.bytes)} heap ` +
        (need.replacedBy === 'any-value'
          ? `when \`${need.heapVariable}\` is unset or empty`
          : `unless \`${need.heapVariable}\` sets one`) +
        ' and needs memory beyond it: the container is OOM-killed once the heap fills'
    : `${subject}, below the ${formatBytes(need.bytes)} ${need.product} documents as its minimum`;
}

/** The larger heap; of equal ones the maximum (`-Xmx1g` over `-Xms1g`), which is what caps it. */
const outweighs = (heap: HeapSetting, other: HeapSetting): boolean =>
  heap.bytes > other.bytes || (heap.bytes === other.bytes && !isInitialHeapFlag(heap.flag));

function ramHeapMessage(
  who: string,
  setting: MemorySetting,
  bytes: number,
  heap: RamHeap,
  checked: string,
): string {
  const percent = `${Number(heap.percent.toFixed(1))}%`;
  const unless = unlessSet([
    ...(heap.shareFlag?.defaulted ?? []),
    ...(heap.maxRamFlag?.defaulted ?? []),
  ]);
  const sizing = heap.maxRamFlag
    ? `${placeOf(checked, heap.maxRamFlag)} sets a ${formatBytes(heap.bytes)} heap (` +
      (heap.shareFlag
        ? `\`${heap.shareFlag.flag}\` of \`${heap.maxRamFlag.flag}\``
        : `the default ${percent} of \`${heap.maxRamFlag.flag}\``) +
      `${unless})`
    : `${placeOf(checked, heap.shareFlag ?? { where: 'command' })} sizes the heap at ${percent} of the ` +
      `container's memory (\`${heap.shareFlag?.flag}\`${unless})`;
  return (
    `${who}: ${sizing} but ${limitText(setting, bytes)}: the process needs memory beyond its ` +
    'heap, and the container is OOM-killed once the heap fills'
  );
}

/**
 * Whether a heap sized from memory (`-XX:MaxRAMPercentage`) decides the service's heap: not for
 * images whose start script passes its own `-Xmx` (Elasticsearch; OpenSearch's `jvm.options`;
 * Kafka's script while `KAFKA_HEAP_OPTS` is empty), since `-Xmx` overrides any percentage.
 */
function memorySizingApplies(service: ComposeService, need: ImageNeed | undefined): boolean {
  // A base service in another file may set `-Xmx`, which overrides any percentage.
  if (service.incomplete) return false;
  if (service.image && sizesOwnHeap(service.image.value)) return false;
  if (need?.kind !== 'default-heap') return true;
  if (need.replacedBy !== 'any-value' || need.heapVariable === undefined) return false;
  return (service.environment.get(need.heapVariable)?.value?.trim() ?? '') !== '';
}

/**
 * Whether the service may replace the heap its image starts with: through the image's heap
 * variable (any value for Kafka's start script, a heap flag for OpenSearch's `jvm.options`; a
 * value passed from the shell, an `env_file` or a base service in another file may hold either),
 * or a heap set anywhere else.
 */
function replacesDefaultHeap(
  service: ComposeService,
  need: ImageNeed,
  heaps: ServiceHeaps,
): boolean {
  if (heaps.settings.length > 0 || heaps.unreadable || service.envFiles || service.incomplete)
    return true;
  const entry =
    need.heapVariable === undefined ? undefined : service.environment.get(need.heapVariable);
  if (!entry) return false;
  if (entry.value === undefined || entry.value.includes('${')) return true;
  return need.replacedBy === 'any-value'
    ? entry.value.trim() !== ''
    : flagsIn(entry.value).length > 0;
}

/** A finding for one service, its message written once the services sharing its range are known. */
interface Candidate {
  start: number;
  end: number;
  service: string;
  message: (who: string) => string;
}

/** The findings for one service's limits, in the file `checked`. */
function checkService(service: ComposeService, checked: string): Candidate[] {
  const candidates: Candidate[] = [];
  const heaps = serviceHeaps(service);
  const largestHeap = heaps.settings.reduce<HeapSetting | undefined>(
    (largest, heap) => (!largest || outweighs(heap, largest) ? heap : largest),
    undefined,
  );
  const need = service.image && imageNeed(service.image.value);
  for (const setting of service.memory) {
    // Reservations are a scheduling floor, not a cap: a process past one is not killed for it.
    if (setting.kind !== 'limit') continue;
    const bytes = composeBytes(setting.value.value);
    if (bytes === undefined) continue;
    let message: ((who: string) => string) | undefined;
    // What makes the limit too low, and the alias the service takes it through.
    let reason: Inheritance | undefined;
    const fromMemory =
      heaps.ram && memorySizingApplies(service, need) ? ramHeap(heaps.ram, bytes) : undefined;
    if (largestHeap && largestHeap.bytes >= bytes) {
      message = (who) => heapMessage(who, setting, bytes, largestHeap, checked);
      reason = largestHeap.via;
    } else if (fromMemory && fromMemory.bytes >= bytes) {
      message = (who) => ramHeapMessage(who, setting, bytes, fromMemory, checked);
      reason = (fromMemory.shareFlag ?? fromMemory.maxRamFlag)?.via;
    } else if (
      (need?.kind === 'minimum' && bytes < need.bytes) ||
      (need?.kind === 'default-heap' &&
        bytes <= need.bytes &&
        !replacesDefaultHeap(service, need, heaps))
    ) {
      const imageNeed = need;
      message = (who) => needMessage(who, service, setting, bytes, imageNeed);
      reason = service.image?.via;
    }
    if (!message) continue;
    const { start, end, file } = findingRange(setting, reason);
    if (file === undefined) candidates.push({ start, end, service: service.name, message });
  }
  return candidates;
}

/** Container memory limits below the heap the service sets, or below what its image needs. */
export const composeMemoryTooLow: Rule = {
  meta: {
    id: 'compose-memory-too-low',
    language: 'compose',
    category: 'resource-config',
    severity: 'info',
    summary:
      'Compose memory limit at or below the JVM/Node heap the service sets, or below what its image documents it needs',
    docs: {
      whatItDoes:
        'Reads the memory limits of docker compose services (`mem_limit`, `deploy.resources.limits.memory`; ' +
        'sizes as compose reads them: `1073741824`, `512m`, `1g`, `1GB`, `1.5GiB`, `1048576k`, any case) ' +
        'and reports a limit that is at or ' +
        'below the heap the service sets (`-Xmx`/`-Xms`/`-XX:MaxHeapSize` in `JAVA_OPTS`, `ES_JAVA_OPTS`, ' +
        '`OPENSEARCH_JAVA_OPTS`, `KAFKA_HEAP_OPTS`, `JVM_OPTS`, `_JAVA_OPTIONS`, `JAVA_TOOL_OPTIONS`; a heap ' +
        'sized from memory as HotSpot sizes it when no maximum heap is set: `-XX:MaxRAMPercentage` (or ' +
        '`-XX:MaxRAMFraction`) of the container limit at 100% or more, or of `-XX:MaxRAM` when set, ' +
        'which replaces the limit in that sizing (`-XX:MaxRAM=4g` alone is a 1 GiB heap); or ' +
        '`--max-old-space-size` in `NODE_OPTIONS`, in `environment` (a `- KEY=value` list or a map) or in ' +
        '`command`/`entrypoint`), or ' +
        'below what the image needs: the documented minimum of SonarQube (2 GB), Neo4j (2 GB) and ' +
        'Keycloak (1250 MB), or the 1 GB heap Kafka and OpenSearch images start with when their heap ' +
        'variable does not replace it (Kafka: `KAFKA_HEAP_OPTS` empty; OpenSearch: no heap flag in ' +
        '`OPENSEARCH_JAVA_OPTS`). Values are interpolated as compose does when a default is written: ' +
        '`${SONAR_MEM:-1g}` and `${SONAR_MEM-1g}` read as `1g`, the default `docker compose up` runs ' +
        'with when neither `.env` nor the shell sets the variable, and the message names the variable ' +
        'that would override it. Anchors, aliases and `<<` merge keys are resolved as YAML merges ' +
        "them (the service's own keys first, then each merged map in order, shallowly): a limit, " +
        'image or environment merged from an `x-` template counts. A finding sits on the limit when ' +
        'the service writes it, or when the template also brings what makes it too low (then it is ' +
        'reported once, naming every service that merges both); otherwise on the alias in the ' +
        'service that brings the limit in (`<<: *jvm-defaults`), so it concerns that service alone. ' +
        '`extends` is merged as compose merges it, of a service in the same file (`extends: java-base`, ' +
        '`extends: {service: java-base}`) or in another compose file of the workspace (`extends: {file: ' +
        './common/docker-compose.base.yml, service: java}`, relative to the directory of the file that ' +
        'writes it, a base that extends another followed in turn): `environment` and ' +
        '`deploy.resources.limits` key by key, ' +
        '`command`, `entrypoint`, `image` and `mem_limit` replaced, and a setting tagged `!reset` or ' +
        "`!override` (`environment: !override`, `mem_limit: !reset null`) not merged with the base's; " +
        'a finding the base causes is ' +
        'reported once on the base (in its own file when it is another), naming every service, and ' +
        'one the service adds on its `extends`. The override file `docker compose` reads by default ' +
        'is merged the same way, service by service: `compose.override.yml` (or `.yaml`, or ' +
        '`docker-compose.override.yml`/`.yaml`) over the first of `compose.yaml`, `compose.yml`, ' +
        '`docker-compose.yml` and `docker-compose.yaml` in its directory. A limit the override raises ' +
        "or resets (`limits: !reset null`), or a heap it lowers, silences the base file's finding; a limit it lowers is reported on " +
        "the override's line, and a heap it raises on the base file's limit; a message names the " +
        'file a heap is written in when it is another. ' +
        'Images are matched by repository (`neo4j:5`, `docker.io/library/neo4j`, ' +
        '`bitnami/neo4j`), with registry and tag removed. Services behind `profiles:` are checked too: ' +
        'once started, they run with the same limit. Only compose files are read (`docker-compose.yml`, ' +
        '`docker-compose.*.yml`, `compose.yaml`, `compose.*.yaml`), not other YAML.',
      whyIsThisBad:
        'A JVM or Node process needs memory beyond its heap (metaspace, thread stacks, buffers, the code ' +
        'cache). With a heap as large as the container limit, the kernel OOM-kills the container as soon ' +
        'as the heap fills: under load, not at start, so the limit passes every smoke test. A limit below ' +
        "the image's documented minimum does the same, or leaves the service swapping and garbage " +
        'collecting instead of serving.',
      example: [
        'services:',
        '  search:',
        '    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.0',
        '    environment:',
        '      - ES_JAVA_OPTS=-Xms1g -Xmx1g',
        '    mem_limit: 1g',
      ].join('\n'),
      useInstead: [
        'services:',
        '  search:',
        '    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.0',
        '    environment:',
        '      - ES_JAVA_OPTS=-Xms1g -Xmx1g',
        '    mem_limit: 2g  # heap at about half the limit',
      ].join('\n'),
      notFlagged: [
        'Services without a memory limit, and limits above the heap the service sets.',
        'Images no vendor documents a memory need for (PostgreSQL, Redis, your own images), and images whose reference holds a variable (`${REGISTRY}/neo4j`).',
        "Limits at or above the image's documented need.",
        'Limits, heaps and images written with a variable that has no default (`mem_limit: ${ES_MEM}`, `$ES_MEM`, `${ES_MEM:?required}`, `${LOW:+512m}`, `-Xmx${HEAP}`): `.env` and the shell decide them at `docker compose up`, and no value is guessed. `.env` files are not read, so a default is taken as what runs. `$$` is a literal `$` for the container, not a variable.',
        "Kafka and OpenSearch limits when the heap variable may replace the image's default heap: any non-empty `KAFKA_HEAP_OPTS` (even without `-Xmx`: the start script then adds none), a heap flag in `OPENSEARCH_JAVA_OPTS`, a heap variable with an unreadable value or passed from the shell (`- KAFKA_HEAP_OPTS`, `KAFKA_HEAP_OPTS:`), a service with an `env_file` (which may set it), or a heap set in another variable.",
        'Heaps sized from memory below 100% of the limit (`-XX:MaxRAMPercentage=90`): how much room metaspace, threads, the code cache and direct buffers need depends on the service, as with an `-Xmx` just below the limit. Also `-XX:InitialRAMPercentage`, which HotSpot caps at the maximum heap, and `-XX:MinRAMPercentage` alone.',
        'A percentage where a maximum heap decides instead: `-Xmx` or `-XX:MaxHeapSize` set anywhere in the service (or a JVM variable that cannot be read or comes from the shell, which may set one); Elasticsearch images, whose launcher passes its own `-Xmx`; OpenSearch, whose `jvm.options` holds `-Xmx1g`; Kafka while `KAFKA_HEAP_OPTS` is empty. Limits under about 250 MiB with the default `MinRAMPercentage`, where HotSpot takes half the memory or its default maximum heap.',
        'Reservations (`mem_reservation`, `deploy.resources.reservations.memory`): a scheduling floor, not a cap, so the process is not killed past it.',
        'Elasticsearch and ClickHouse images without a heap setting: Elasticsearch sizes its heap from the container limit, and neither documents a minimum for a container.',
        'What a base that cannot be read sets: a file `extends: {file: ...}` names that the workspace does not hold as a compose file (other YAML, such as `common-services.yml`, is not read), that is not valid YAML or lacks the service, a service this file does not define, or a cycle of `extends`: the image default-heap and `MaxRAMPercentage` checks stay silent for the service (the base may set the heap variable or `-Xmx`); a heap and a limit the service sets itself are still judged. `include`d files are not read into this one (each compose file in the workspace is checked on its own).',
        'A finding whose limit and cause both come from another file (the base an `extends: {file: ...}` names, or the file an override is merged over): that file reports it, once, and not every file that merges it.',
        'Files merged only when named with `-f` (`docker-compose.prod.yml`, `compose.staging.yaml`), and a second file of the default names that `docker compose` passes over (`docker-compose.yml` beside `compose.yaml`): they are judged alone, as `docker compose up` without `-f` merges them with nothing, and which files a deployment combines is not written in the workspace. An override file is merged only over the file of the default names in its own directory.',
        'Files that are not valid YAML (a file being edited): no finding until it parses.',
      ],
    },
  },
  check(ctx: FileContext) {
    // An `x-` template's limit and heap merged into several services are one line to change:
    // reported once, naming every service (the first one's message).
    const byStart = new Map<number, Candidate[]>();
    const services = ctx.compose ? composeServices(ctx.file, ctx.compose, () => ctx.index) : [];
    for (const service of services)
      for (const candidate of checkService(service, ctx.file))
        byStart.set(candidate.start, [...(byStart.get(candidate.start) ?? []), candidate]);
    for (const [start, candidates] of byStart) {
      const names = [...new Set(candidates.map((candidate) => candidate.service))];
      ctx.report({
        start,
        end: candidates[0].end,
        message: candidates[0].message(servicesLabel(names)),
      });
    }
  },
};
