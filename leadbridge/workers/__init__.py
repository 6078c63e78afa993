"""`leadbridge worker`: the sync's work as procrastinate jobs on PostgreSQL, run by any number
of worker processes on any number of machines (docs/scaling.md).

    app = build_app(settings.resolved_database_url)      # app.py
    app.run_worker(concurrency=4)                         # what `leadbridge worker` runs

The jobs (jobs.py) and their schedule (tasks.py):

- `dispatch`, every 5 seconds (procrastinate periodic, seconds cron): once per poll interval
  (the connector's, read each time) it defers a pull per object (Lead, then Contact), the
  intake, push jobs (one per parallel slot while a backlog waits) and the mirrors;
- `pull` and `intake` share the procrastinate lock `sync:salesforce:pull`, so they run one at
  a time, in the order deferred, across all workers; each also holds the sync lease
  (sync/runner.py), so no `sync once` nor an in-process loop pulls meanwhile;
- `push` claims a wave of prospects in the outbox (`claim_prospects`: every item of a
  prospect to one worker, FOR UPDATE SKIP LOCKED), pushes them with the push engine fenced by
  those claims (a heartbeat renews them; a lapsed or taken claim stops the writes), and
  claims the next wave until none is due;
- `mirrors`, one at a time, throttled as in the loop;
- `rule_slice` and `import_chunk` (queue `bulk`): a rule run over every prospect and an
  import, queued by `rules run --workers`, `import --workers` or the console beside
  `serve --no-sync`, in the transaction that records them (store/job_queue.py): a job per
  5,000 prospects (automation/rule_runs.py) or per 1,000 rows (importing/jobs.py, one chunk
  at a time per import, in file order);
- `retry_stalled`, every 30 seconds: jobs of a worker that stopped sending heartbeats (killed)
  are retried.

Each job is idempotent: a pull reads its window again (the cursor moves only at the end), a
push recorded what it sends before sending and creates leads by upsert on the prospect id, a
rule slice's cursor moves in each page's transaction, an import chunk is marked done in the
transaction that writes its rows.
"""
