/**
 * Postgres triggers that tell the other server instances what was committed, on channel `oma_events`
 * (NOTIFY is delivered at commit, in commit order, and never for a rolled-back transaction). One
 * JSON payload per session and statement, a few dozen bytes whatever the batch size:
 *   {"o": origin, "s": session, "t": tenant, "f": first seq, "l": last seq, "i": has user input, "x": has interrupt}
 *   {"o": origin, "s": session, "a": true}      the session was archived
 *   {"o": origin, "s": session, "d": seq}       the session was deleted (seq: the stream's final id)
 *   {"o": origin, "s": session, "h": true}      handed over: a stopping instance gave up its lease (sent by
 *                                               CrossInstanceRelay.handOver, not by a trigger)
 * "o" is the writer's application_name, which carries its instance id (see applicationNameFor), so
 * an instance skips its own notifications: it already acted on them in-process.
 *
 * Postgres serialises the commits of every transaction that notifies (a cluster-wide lock held
 * through the WAL flush): 8 concurrent writers lost 25-45 % of their throughput here. So the
 * triggers notify only while another instance listens: listeners register in `oma_listeners`
 * (heartbeat in database time, see pg-listener.ts), and a writer alone skips pg_notify.
 */
export const NOTIFY_CHANNEL = 'oma_events';

/** A listener whose heartbeat is older than this is gone (it beats every LISTENER_HEARTBEAT_MS). */
export const LISTENER_STALE_MS = 30_000;
export const LISTENER_HEARTBEAT_MS = 5_000;

/** True in a trigger when an instance other than the writer listens. */
const OTHERS_LISTEN = `EXISTS (SELECT 1 FROM oma_listeners WHERE origin <> current_setting('application_name')
       AND seen_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint - ${LISTENER_STALE_MS})`;

export const NOTIFY_TRIGGERS = [
  `CREATE TABLE IF NOT EXISTS oma_listeners (origin TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)`,
  `CREATE OR REPLACE FUNCTION oma_notify_session_events() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NOT ${OTHERS_LISTEN} THEN RETURN NULL; END IF;
     PERFORM pg_notify('${NOTIFY_CHANNEL}', json_build_object('o', current_setting('application_name'), 's', session_id,
       't', tenant_id, 'f', first_seq, 'l', last_seq, 'i', has_input, 'x', has_interrupt)::text)
     FROM (SELECT session_id, min(tenant_id) AS tenant_id, min(seq) AS first_seq, max(seq) AS last_seq,
             bool_or(type LIKE 'user.%') AS has_input, bool_or(type = 'user.interrupt') AS has_interrupt
           FROM new_rows GROUP BY session_id) AS batch;
     RETURN NULL;
   END $$`,
  `DROP TRIGGER IF EXISTS oma_session_events_notify ON session_events`,
  `CREATE TRIGGER oma_session_events_notify AFTER INSERT ON session_events REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION oma_notify_session_events()`,
  `CREATE OR REPLACE FUNCTION oma_notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NOT ${OTHERS_LISTEN} THEN RETURN NULL; END IF;
     IF TG_OP = 'DELETE' THEN
       PERFORM pg_notify('${NOTIFY_CHANNEL}', json_build_object('o', current_setting('application_name'), 's', OLD.id, 'd', OLD.last_seq + 1)::text);
     ELSIF OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL THEN
       PERFORM pg_notify('${NOTIFY_CHANNEL}', json_build_object('o', current_setting('application_name'), 's', NEW.id, 'a', true)::text);
     END IF;
     RETURN NULL;
   END $$`,
  `DROP TRIGGER IF EXISTS oma_sessions_notify ON sessions`,
  `CREATE TRIGGER oma_sessions_notify AFTER DELETE OR UPDATE OF archived_at ON sessions
     FOR EACH ROW EXECUTE FUNCTION oma_notify_session_change()`,
];
