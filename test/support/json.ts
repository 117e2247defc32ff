/**
 * A JSON answer as the runtime-process tests read it: a function's result over HTTP, a stored
 * document from the runtime's data folder, an inspection. It is the typed boundary of those tests:
 * each test asserts on the fields it reads, so a wrong field fails the test that read it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one boundary type (see above).
export type Json = Record<string, any>;
