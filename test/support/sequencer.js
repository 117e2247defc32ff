// Jest orders suites by how long they took last time, which it keeps in its cache; a fresh clone
// (CI) has no cache, and jest falls back to file size, which would start the longest suites last
// and leave one worker running them alone at the end. These go first, longest first, whatever the
// cache holds; the rest follow in jest's own order.
const Sequencer = require('@jest/test-sequencer').default;
const { basename } = require('node:path');

const LONGEST_FIRST = ['static-checks.test.ts', 'preview-e2e.test.ts', 'conversation-e2e.test.ts', 'chaos.test.ts', 'chaos-virtual.test.ts', 'fuzz.test.ts', 'compile-miniprogram.test.ts'];

class LongestFirst extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const rank = (test) => {
      const index = LONGEST_FIRST.indexOf(basename(test.path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // Array.prototype.sort is stable: suites of equal rank keep jest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirst;
