/** Docker compose files: which files are compose, sizes and image names, and robustness. */
import * as assert from 'node:assert/strict';
import { yamlCommentStarts } from '../server/src/compose/comments';
import { parseComposeFile } from '../server/src/compose/document';
import { ramHeap } from '../server/src/compose/heaps';
import { imageNeed, imageRepository } from '../server/src/compose/images';
import { interpolate } from '../server/src/compose/interpolation';
import { composeBytes, formatBytes, jvmBytes } from '../server/src/compose/sizes';
import { languageOf } from '../server/src/languages/detect';
import { isSkippedByDiscovery } from '../server/src/workspace/discovery';
import { analyze, analyzeOne } from './support/analyze';

describe('compose files', () => {
  it('are told from other YAML by name', () => {
    for (const name of [
      'docker-compose.yml',
      'docker-compose.yaml',
      'deploy/docker-compose.prod.yml',
      'docker-compose-dev.yml',
      'compose.yaml',
      'compose.yml',
      'infra\\compose.override.yaml',
      'Docker-Compose.YML',
    ])
      assert.equal(languageOf(name), 'compose', name);
    for (const name of [
      'config.yml',
      '.github/workflows/ci.yml',
      'composer.yaml',
      'my-docker-compose.yml',
      'docker-compose.json',
      'compose.ts',
    ])
      assert.notEqual(languageOf(name), 'compose', name);
  });

  it('are found by workspace discovery', () => {
    const options = { root: '/repo', include: [], exclude: [] };
    assert.equal(isSkippedByDiscovery('/repo/docker-compose.yml', options), false);
    assert.equal(isSkippedByDiscovery('/repo/.github/workflows/ci.yml', options), true);
  });

  it('read sizes as compose and the JVM do', () => {
    const MiB = 1024 ** 2;
    assert.equal(composeBytes('524288000'), 524288000);
    assert.equal(composeBytes('512m'), 512 * MiB);
    assert.equal(composeBytes('512M'), 512 * MiB);
    assert.equal(composeBytes('1g'), 1024 * MiB);
    assert.equal(composeBytes('1gb'), 1024 * MiB);
    assert.equal(composeBytes('1.5GiB'), 1536 * MiB);
    assert.equal(composeBytes('300k'), 300 * 1024);
    assert.equal(composeBytes('100b'), 100);
    assert.equal(composeBytes('${ES_MEM:-2g}'), undefined);
    assert.equal(composeBytes('lots'), undefined);
    assert.equal(jvmBytes('2g'), 2048 * MiB);
    assert.equal(jvmBytes('768M'), 768 * MiB);
    assert.equal(jvmBytes('1048576'), MiB);
    assert.equal(jvmBytes('${HEAP}'), undefined);
    assert.equal(formatBytes(1024 * MiB), '1 GiB');
    assert.equal(formatBytes(1536 * MiB), '1.5 GiB');
    assert.equal(formatBytes(1250 * MiB), '1250 MiB');
    assert.equal(formatBytes(768 * MiB), '768 MiB');
  });

  it('interpolate defaults and leave variables without one as written', () => {
    const read = (text: string) => {
      const { text: value, defaulted, complete } = interpolate(text);
      return [value, defaulted.join(','), complete];
    };
    assert.deepEqual(read('1g'), ['1g', '', true]);
    assert.deepEqual(read('${MEM:-1g}'), ['1g', 'MEM', true]);
    assert.deepEqual(read('${MEM-1g}'), ['1g', 'MEM', true]);
    assert.deepEqual(read('${MEM:-}'), ['', 'MEM', true]);
    assert.deepEqual(read('-Xms${H:-1g} -Xmx${H:-1g}'), ['-Xms1g -Xmx1g', 'H,H', true]);
    assert.deepEqual(read('${A:-${B:-2g}}'), ['2g', 'A,B', true]);
    assert.deepEqual(read('${A:-${B}}'), ['${A:-${B}}', '', false]);
    assert.deepEqual(read('${MEM}'), ['${MEM}', '', false]);
    assert.deepEqual(read('$MEM'), ['$MEM', '', false]);
    assert.deepEqual(read('${MEM:?required}'), ['${MEM:?required}', '', false]);
    assert.deepEqual(read('${LOW:+512m}'), ['${LOW:+512m}', '', false]);
    assert.deepEqual(read('${MEM:-1g'), ['${MEM:-1g', '', false]);
    assert.deepEqual(read('-Xmx$${HEAP} costs $5'), ['-Xmx${HEAP} costs $5', '', true]);
  });

  it('size a heap from memory as HotSpot does, and not near its small-memory threshold', () => {
    const MiB = 1024 ** 2;
    const sizing = { maxPercent: 100, minPercent: 50 };
    assert.equal(ramHeap(sizing, 1024 * MiB)?.bytes, 1024 * MiB);
    // Under ~250 MiB HotSpot takes MinRAMPercentage; around the threshold, the JVM's default decides.
    assert.equal(ramHeap(sizing, 200 * MiB)?.bytes, 100 * MiB);
    assert.equal(ramHeap(sizing, 248 * MiB), undefined);
    assert.equal(ramHeap(sizing, 256 * MiB)?.bytes, 256 * MiB);
    assert.equal(
      ramHeap({ maxPercent: 25, minPercent: 50, maxRam: 4096 * MiB }, 512 * MiB)?.bytes,
      1024 * MiB,
    );
  });

  it('match images by repository, not by substring', () => {
    assert.equal(imageRepository('docker.io/library/neo4j:5'), 'neo4j');
    assert.equal(imageRepository('neo4j'), 'neo4j');
    assert.equal(imageRepository('quay.io/keycloak/keycloak:26.0@sha256:abc'), 'keycloak/keycloak');
    assert.equal(imageRepository('localhost:5000/sonarqube:10'), 'sonarqube');
    assert.equal(imageRepository('${REGISTRY}/sonarqube'), undefined);
    assert.equal(imageNeed('bitnami/kafka:3.8')?.product, 'Kafka');
    assert.equal(imageNeed('neo4j-admin:5'), undefined);
    assert.equal(imageNeed('mycorp/neo4j:5'), undefined);
    assert.equal(imageNeed('sonarsource/sonar-scanner-cli'), undefined);
  });

  it('find comments, not `#` inside values or block scalars', () => {
    const text = [
      'services: # top',
      '  app:',
      '    image: "web#1"',
      '    command: |',
      '      echo # not a comment',
      '    healthcheck: http://app/#/health',
      '    # own line',
    ].join('\n');
    const starts = yamlCommentStarts(text);
    assert.deepEqual(
      starts.map((start) =>
        text.slice(start, text.indexOf('\n', start) === -1 ? undefined : text.indexOf('\n', start)),
      ),
      ['# top', '# own line'],
    );
  });

  it('give no services and no crash for invalid YAML, at any cut', async () => {
    const text = [
      'services:',
      '  sonar:',
      '    image: sonarqube:10-community',
      '    environment: ["A=1", "B=2"]',
      '    mem_limit: 512m',
      '',
    ].join('\n');
    assert.equal(parseComposeFile('services: {a: [\n').invalid, true);
    for (let cut = 0; cut <= text.length; cut++) {
      const { findings, problems } = await analyzeOne('docker-compose.yml', text.slice(0, cut));
      assert.deepEqual(problems, [], `cut at ${cut}`);
      assert.ok(findings.length <= 1, `cut at ${cut}`);
    }
  });

  it('read custom tags as plain strings and merge `<<: *anchor` templates', () => {
    const file = parseComposeFile(
      [
        'x-base: &base {mem_limit: 1g}',
        'services:',
        '  a: {<<: *base, image: !!js/function "function () {}", command: !custom x}',
      ].join('\n'),
    );
    // Unknown tags leave plain strings: nothing is constructed from a tag.
    assert.equal(file.invalid, false);
    assert.equal(file.services[0].image?.text, 'function () {}');
    assert.deepEqual(file.services[0].commandWords, ['x']);
    assert.equal(file.services[0].memory[0].value.text, '1g');
  });

  it('reports a limit and heap merged from an `x-` template once, naming every service', async () => {
    const text = [
      'x-jvm: &jvm',
      '  environment:',
      '    JAVA_OPTS: -Xmx1g',
      '  mem_limit: 1g',
      'services:',
      '  a: {<<: *jvm, image: app-a}',
      '  b: {<<: *jvm, image: app-b}',
      '',
    ].join('\n');
    const { findings } = await analyzeOne('compose.yaml', text);
    assert.deepEqual(
      findings.map((f) => [f.startPos.line, f.message.slice(0, 22)]),
      [[4, 'Services `a` and `b`: ']],
    );
  });

  it('name the file a heap merged from another file is written in', async () => {
    const { reports } = await analyze([
      {
        relativePath: '/repo/deploy/docker-compose.yml',
        text: 'services:\n  api:\n    extends: {file: /repo/common/compose.base.yaml, service: jvm}\n    mem_limit: 1g\n',
      },
      {
        relativePath: '/repo/common/compose.base.yaml',
        text: 'services:\n  jvm:\n    environment:\n      JAVA_OPTS: -Xmx1g\n',
      },
    ]);
    assert.deepEqual(
      reports.flatMap((report) =>
        report.findings.map((f) => [report.file, f.message.slice(0, 66)]),
      ),
      [
        [
          '/repo/deploy/docker-compose.yml',
          'Service `api`: `JAVA_OPTS` in `../common/compose.base.yaml` sets a',
        ],
      ],
    );
  });

  it('analyses a huge compose file quickly', async function () {
    this.timeout(20000);
    const services = Array.from(
      { length: 3000 },
      (_, i) =>
        `  svc${i}:\n    image: ${i % 2 ? 'sonarqube:10' : 'postgres:16'}\n    environment:\n      - JAVA_OPTS=-Xmx256m\n    mem_limit: 1g\n`,
    );
    const started = performance.now();
    const { findings } = await analyzeOne('docker-compose.yml', `services:\n${services.join('')}`);
    const elapsed = performance.now() - started;
    assert.equal(findings.length, 1500);
    assert.ok(elapsed < 5000, `took ${elapsed.toFixed(0)} ms`);
  });
});
