/** The scripted fake Messages API for tests; see fake-model.ts. */
export { startFakeModel, type FakeModel, type StallHandle } from './fake-model.ts';
export {
  disconnect,
  expecting,
  httpError,
  reply,
  stall,
  streamError,
  text,
  thinking,
  toolUse,
  type ContentSpec,
  type ErrorTurn,
  type ExpectFn,
  type RecordedRequest,
  type ReplyTurn,
  type ScriptEntry,
  type Turn,
  type UsageSpec,
} from './turns.ts';
