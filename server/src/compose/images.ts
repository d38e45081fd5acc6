/**
 * Images whose vendors document the memory they need, matched by repository (registry and tag
 * removed), never by a substring of the reference.
 */

/** What an image needs: a documented minimum, or the heap its start script takes by default. */
export interface ImageNeed {
  product: string;
  repositories: readonly string[];
  bytes: number;
  kind: 'minimum' | 'default-heap';
  /** For `default-heap`: the variable that replaces the default heap. */
  heapVariable?: string;
  /**
   * For `default-heap`: what in `heapVariable` replaces the default. `any-value`: the start
   * script only applies its default when the variable is empty; `heap-flag`: the default sits in
   * `jvm.options`, and only a heap flag of the variable's, read after it, overrides it.
   */
  replacedBy?: 'any-value' | 'heap-flag';
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export const IMAGE_NEEDS: readonly ImageNeed[] = [
  // SonarQube's server host requirements: "the SonarQube server requires at least 2GB of RAM to
  // run efficiently and 1GB of free RAM for the OS".
  {
    product: 'SonarQube',
    repositories: ['sonarqube', 'bitnami/sonarqube'],
    bytes: 2 * GiB,
    kind: 'minimum',
  },
  // Neo4j Operations Manual, system requirements for personal use and development: "Memory: 2GB
  // minimum, 16GB or more recommended".
  { product: 'Neo4j', repositories: ['neo4j', 'bitnami/neo4j'], bytes: 2 * GiB, kind: 'minimum' },
  // Keycloak, "Concepts for sizing CPU and memory resources": "The base memory usage for a Pod
  // including caches of Realm data and 10,000 cached sessions is 1250 MB of RAM".
  {
    product: 'Keycloak',
    repositories: ['keycloak/keycloak', 'bitnami/keycloak', 'jboss/keycloak'],
    bytes: 1250 * MiB,
    kind: 'minimum',
  },
  // Kafka's bin/kafka-server-start.sh, which these images run: when KAFKA_HEAP_OPTS is unset it
  // exports KAFKA_HEAP_OPTS="-Xmx1G -Xms1G" (Bitnami's image: -Xmx1024m -Xms1024m).
  {
    product: 'Kafka',
    repositories: [
      'apache/kafka',
      'confluentinc/cp-kafka',
      'confluentinc/cp-server',
      'bitnami/kafka',
      'wurstmeister/kafka',
    ],
    bytes: GiB,
    kind: 'default-heap',
    heapVariable: 'KAFKA_HEAP_OPTS',
    replacedBy: 'any-value',
  },
  // OpenSearch's config/jvm.options, shipped in the image: "-Xms1g" and "-Xmx1g" unless
  // OPENSEARCH_JAVA_OPTS sets the heap.
  {
    product: 'OpenSearch',
    repositories: ['opensearchproject/opensearch'],
    bytes: GiB,
    kind: 'default-heap',
    heapVariable: 'OPENSEARCH_JAVA_OPTS',
    replacedBy: 'heap-flag',
  },
];

/**
 * The repository of an image reference, without registry, tag or digest, Docker Hub's
 * `library/` dropped: `docker.io/library/neo4j:5` and `neo4j` are both `neo4j`,
 * `quay.io/keycloak/keycloak:26.0` is `keycloak/keycloak`. Undefined for references with variables.
 */
export function imageRepository(reference: string): string | undefined {
  if (reference.includes('$')) return undefined;
  let name = reference.trim().toLowerCase().split('@')[0];
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const parts = name.split('/');
  // A first component with a dot or port, or `localhost`, names a registry.
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) parts.shift();
  if (parts.length === 2 && parts[0] === 'library') parts.shift();
  return parts.join('/') || undefined;
}

const BY_REPOSITORY = new Map(
  IMAGE_NEEDS.flatMap((need) => need.repositories.map((repository) => [repository, need] as const)),
);

/** What the image needs, when its vendor says. */
export function imageNeed(reference: string): ImageNeed | undefined {
  const repository = imageRepository(reference);
  return repository === undefined ? undefined : BY_REPOSITORY.get(repository);
}

/**
 * Images whose start script sizes the heap itself and passes `-Xmx` (Elasticsearch's launcher
 * from the container's memory, Bitnami's from `ELASTICSEARCH_HEAP_SIZE` or the memory), so a
 * `-XX:MaxRAMPercentage` given to them never decides the heap.
 */
const SELF_SIZING_REPOSITORIES = new Set([
  'elasticsearch',
  'elasticsearch/elasticsearch',
  'bitnami/elasticsearch',
]);

/** Whether the image's start script passes its own `-Xmx`, whatever memory flags the service sets. */
export function sizesOwnHeap(reference: string): boolean {
  const repository = imageRepository(reference);
  return repository !== undefined && SELF_SIZING_REPOSITORIES.has(repository);
}
