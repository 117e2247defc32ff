/** @type {import('jest').Config} */
module.exports = {
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    // Type checking is `npm run typecheck`; here TypeScript is only transpiled, for speed.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  testSequencer: '<rootDir>/test/support/sequencer.js',
  testTimeout: 60_000,
  maxWorkers: 2,
  // A worker frees its heap after its exit event, which takes longer than jest's 500 ms on a busy
  // machine; a handle left open still keeps it alive past this (docs/VERIFICATION.md, Test tiers).
  workerGracefulExitTimeout: 3000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
