/** Worker thread entry of a parallel scan: one ScanCore driven by messages (worker-protocol.ts). */
import { parentPort } from 'node:worker_threads';
import { ALL_RULES } from '../../../rules';
import { initParsers } from '../parsing/tree-sitter';
import { ScanCore } from './scan-core';
import type { FromWorker, ToWorker } from './worker-protocol';

let core: ScanCore | undefined;
const ready = initParsers();

function reply(message: FromWorker): void {
  parentPort!.postMessage(message);
}

parentPort?.on('message', (message: ToWorker) => {
  ready
    .then(() => {
      switch (message.type) {
        case 'init': {
          const ids = new Set(message.ruleIds);
          core = new ScanCore(
            ALL_RULES.filter((rule) => ids.has(rule.meta.id)),
            message.settings,
            message.maxFileBytes,
          );
          return;
        }
        case 'prepare':
          reply({
            type: 'prepared',
            result: core!.prepare(message.files, message.deferIndexUsers),
          });
          return;
        case 'learn':
          core!.learn(message.facts);
          return;
        case 'check':
          reply({
            type: 'checked',
            result: core!.check(message.otherFacts, message.rerunAllReaders),
          });
          return;
      }
    })
    .catch((error: unknown) =>
      reply({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
    );
});
