"""The only user of aiobotocore: Lattice, tagging, ACM calls with pagination, error mapping and metrics.

Must never decide what to create or delete: callers pass the exact call.

* ``edge``      — ``open_aws_edge``: all of the below wired together (the composition root uses it)
* ``session``   — ``AwsConfig`` and ``AwsClients`` (long-lived clients, closed on exit)
* ``transport`` — the ``AwsTransport`` seam; ``BotocoreTransport`` logs, times, counts, translates errors
* ``errors``    — ``AwsError`` and its typed subclasses, chosen by error code
* ``metrics``   — the ``aws_api_*`` Prometheus series and the in-process ``CallLedger``
* ``lattice``   — ``LatticeApi``: one method per Lattice operation, full pagination, write observers
* ``tagging``   — ``TagStore``: tag reads/writes in tagging-API or Lattice-only mode, the 60 s tag cache
* ``acm``       — ACM certificate listing, EC2 ``DescribeTags``
* ``inventory`` — ``LatticeInventory``: observation shared by all reconciles of a resync cycle
* ``testing``   — ``ScriptedTransport``, an in-memory transport for unit tests
"""
