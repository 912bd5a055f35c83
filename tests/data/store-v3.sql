-- A state database as daemons before schema 4 left it: migrations 1-3
-- in schema_version, api_tokens and audit made outside the sequence.
-- Its token, for tests only: cq_3FDTWu5MztooWRRPvMn-Y1lh5xByvws-kn0DTTu7rPM
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES(1);
INSERT INTO schema_version VALUES(2);
INSERT INTO schema_version VALUES(3);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO settings VALUES('boot_id','5148b2b1-5b5b-4716-a051-5bf0d50c3b67');
CREATE TABLE jobs (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, name TEXT NOT NULL, paused INTEGER NOT NULL, origin TEXT NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, spec TEXT NOT NULL, UNIQUE (owner, name));
INSERT INTO jobs VALUES(1,0,'nightly',0,'api',1,1796324369,1796324369,'{"name":"nightly","schedules":["0 3 * * *"],"kind":"command","command":"true","env":{},"umask":"022","timeout":0,"kill_grace":10,"retries":0,"retry_backoff":10,"retry_backoff_max":3600,"retry_on":[],"on_exit":{},"concurrency":"forbid","catchup":"skip","catchup_max":100,"jitter":0,"dst":{"gap":"next","repeat":"first"},"max_output":1048576,"limits":{},"sandbox":{"seccomp":{"default":"deny-list","action":"errno","deny":[],"allow":[]},"private_tmp":false,"protect_system":false,"network":true,"read_only_paths":[],"read_write_paths":[]},"paused":false,"description":""}');
CREATE TABLE job_versions (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, owner INTEGER NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, created_at INTEGER NOT NULL, spec TEXT NOT NULL);
INSERT INTO job_versions VALUES(1,1,0,'nightly',1,'create','uid:0',1796324369,'{"name":"nightly","schedules":["0 3 * * *"],"kind":"command","command":"true","env":{},"umask":"022","timeout":0,"kill_grace":10,"retries":0,"retry_backoff":10,"retry_backoff_max":3600,"retry_on":[],"on_exit":{},"concurrency":"forbid","catchup":"skip","catchup_max":100,"jitter":0,"dst":{"gap":"next","repeat":"first"},"max_output":1048576,"limits":{},"sandbox":{"seccomp":{"default":"deny-list","action":"errno","deny":[],"allow":[]},"private_tmp":false,"protect_system":false,"network":true,"read_only_paths":[],"read_write_paths":[]},"paused":false,"description":""}');
CREATE TABLE schedules (job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, idx INTEGER NOT NULL, last_slot INTEGER NOT NULL, next_fire INTEGER NOT NULL, PRIMARY KEY (job_id, idx));
INSERT INTO schedules VALUES(1,0,1796324369,0);
CREATE TABLE runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, job TEXT NOT NULL, owner INTEGER NOT NULL, attempt INTEGER NOT NULL, first_run_id INTEGER, trigger TEXT NOT NULL, schedule INTEGER NOT NULL, scheduled_at INTEGER, queued_at INTEGER, not_before INTEGER, started_at INTEGER, finished_at INTEGER, pid INTEGER, exit_code INTEGER, signal INTEGER, http_status INTEGER, state TEXT NOT NULL, output_bytes INTEGER NOT NULL DEFAULT 0, triggered_by TEXT, host TEXT, missed_count INTEGER NOT NULL DEFAULT 0, boot_id TEXT, message TEXT, cpu_usec INTEGER, peak_memory INTEGER);
INSERT INTO runs VALUES(1,1,'nightly',0,1,1,'manual',-1,1796324369,1796324369,1796324369,1796324369,1796324369,30481,0,NULL,NULL,'succeeded',0,'uid:0','vm',0,'5148b2b1-5b5b-4716-a051-5bf0d50c3b67','',1523,14598144);
CREATE TABLE decisions (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, job TEXT NOT NULL, slot INTEGER NOT NULL, outcome TEXT NOT NULL, run_id INTEGER, detail TEXT, decided_at INTEGER NOT NULL);
CREATE TABLE notifications (id INTEGER PRIMARY KEY, run_id INTEGER, job_id INTEGER NOT NULL, job TEXT NOT NULL, owner INTEGER NOT NULL, target INTEGER NOT NULL, kind TEXT NOT NULL, dest TEXT NOT NULL, event TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL, code INTEGER, error TEXT, created_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL);
CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL UNIQUE, hash BLOB NOT NULL, owner INTEGER NOT NULL, name TEXT NOT NULL, scopes INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER);
INSERT INTO api_tokens VALUES(1,'cq_3FDTWu5M',X'3fdd6a5c994c066a401a7d292914085f9742085d114014d3f7e1d775ec966fff',0,'ci',3,1796324369,NULL,NULL,NULL);
CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, principal TEXT NOT NULL, source TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, job TEXT, run INTEGER);
INSERT INTO audit VALUES(1,1796324369,'uid:0','unix','POST','/api/v1/jobs',201,NULL,NULL);
INSERT INTO audit VALUES(2,1796324369,'uid:0','unix','POST','/api/v1/jobs/nightly/trigger',202,'nightly',1);
INSERT INTO audit VALUES(3,1796324369,'uid:0','unix','POST','/api/v1/tokens',201,NULL,NULL);
CREATE INDEX job_versions_name ON job_versions (owner, name, version);
CREATE INDEX runs_job ON runs (job_id, id);
CREATE INDEX runs_state ON runs (state);
CREATE INDEX decisions_job ON decisions (job_id, id);
CREATE INDEX notifications_run ON notifications (run_id, id);
CREATE INDEX notifications_job ON notifications (owner, job, id);
CREATE INDEX audit_at ON audit (at);
COMMIT;
