/** Every suite, in the order `npm run bench` runs them. */
import type { BenchSuite } from '../suite.ts';
import { appendSuite } from './append.ts';
import { httpAppendSuite } from './http-append.ts';
import { sseFanoutSuite } from './sse-fanout.ts';
import { turnsSuite } from './turns.ts';
import { toolsSuite } from './tools.ts';
import { bootSuite } from './boot.ts';
import { recoverySuite } from './recovery.ts';
import { scaleSuite } from './scale.ts';

export const SUITES: BenchSuite[] = [appendSuite, httpAppendSuite, sseFanoutSuite, turnsSuite, toolsSuite, bootSuite, recoverySuite, scaleSuite];
