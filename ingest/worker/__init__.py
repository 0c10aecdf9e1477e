"""The worker: runs the stages and hands their results to the store.

`pipeline` takes feed ids (or page URLs) and drives fetch -> parse -> extract -> dedup ->
store, recording every failure; `pool` runs a callable in an isolated process under a time
limit; `page_workers` batches pages through the extraction processes and the writer;
`writer` is the writer process's transaction; `batch` is `backfill` and `reprocess`;
`daemon` is `ingest run`; `metrics` its Prometheus endpoint.

No stage imports this package.

Tests: tests/test_worker.py (real processes, signals, kill -9, several workers),
test_end_to_end.py, test_metrics.py, test_cli.py.
"""
