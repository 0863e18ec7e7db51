import { describe, expect, it } from 'vitest';
import { databaseBusy, databaseTrouble, noteDatabaseEndpoint } from './database-busy.ts';

/** A socket error as node's net module makes it (code, syscall, address, port). */
function socketError(code: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect', ...fields });
}

describe('databaseTrouble', () => {
  noteDatabaseEndpoint('postgres://oma@db.internal:6543/oma');

  it("a refused connection to the database's port, socket or host name is the database unreachable", () => {
    expect(databaseTrouble(socketError('ECONNREFUSED', { address: '10.0.0.5', port: 6543 }))).toBe('unreachable');
    expect(databaseTrouble(socketError('ECONNREFUSED', { address: '/var/run/postgresql/.s.PGSQL.5432' }))).toBe('unreachable');
    expect(databaseTrouble(socketError('ENOTFOUND', { hostname: 'db.internal' }))).toBe('unreachable');
    expect(databaseBusy(socketError('ECONNREFUSED', { address: '10.0.0.5', port: 6543 }))?.status).toBe(503);
  });

  it('a socket error of another service (S3, a model API, an MCP server) is not the database', () => {
    expect(databaseTrouble(socketError('ECONNREFUSED', { address: '127.0.0.1', port: 9000 }))).toBeUndefined();
    expect(databaseTrouble(socketError('ENOTFOUND', { hostname: 'api.anthropic.com' }))).toBeUndefined();
    expect(databaseTrouble(socketError('ECONNRESET', {}))).toBeUndefined();
    expect(databaseBusy(socketError('ECONNREFUSED', { address: '127.0.0.1', port: 9000 }))).toBeUndefined();
  });

  it("Postgres' own codes and pg's messages need no endpoint", () => {
    expect(databaseTrouble(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe('unreachable');
    expect(databaseTrouble(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe('unreachable');
    expect(databaseTrouble(new Error('Connection terminated unexpectedly'))).toBe('unreachable');
    expect(databaseTrouble(new Error('timeout exceeded when trying to connect'))).toBe('busy');
    expect(databaseTrouble(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe('busy');
    expect(databaseTrouble(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
  });
});
