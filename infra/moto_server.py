"""moto's server, for the pc-aws tests.

Usage: python3 moto_server.py PORT

It serves moto's full backend on 127.0.0.1:PORT, exactly as
`python3 -m moto.server -p PORT` does, with three differences the tests need:

- DynamoDB requests are served one at a time. moto's DynamoDB backend has
  no locking: its TransactWriteItems copies the table, and a cancelled
  transaction restores that copy, so concurrent transactions can lose each
  other's writes. DynamoDB makes every conditional write and transaction
  atomic; serializing them in moto gives the tests those semantics. The
  other services stay concurrent (SQS long polls must not block).
- A TransactWriteItems keeps a copy of only the items it writes, to put
  back if it is cancelled. moto deep-copies every table it touches first,
  so each transaction cost time in proportion to the table: fifty lead
  updates in one scenario took over a minute and timed out under load.
- It stops when its standard input closes, i.e. when the test process that
  started it exits, so no server outlives its tests.
"""

import copy
import logging
import sys
import threading

import moto.dynamodb.models as dynamodb
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


class _TablesNotCopied:
    """Stands in for `copy` in moto's DynamoDB backend: tables are not
    copied (the transaction below keeps its own items), anything else is."""

    @staticmethod
    def deepcopy(value):
        return value if isinstance(value, dynamodb.Table) else copy.deepcopy(value)


def _item_key(table, op):
    key = op["Key"] if "Key" in op else op["Item"]
    hash_value = dynamodb.DynamoType(key[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    return hash_value, dynamodb.DynamoType(key[table.range_key_attr])


def _stored(table, hash_value, range_value):
    if range_value is None:
        return table.items.get(hash_value)
    return table.items.get(hash_value, {}).get(range_value)


def _put_back(table, hash_value, range_value, item):
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
    elif item is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item


def _transact_write_items(backend, transact_items):
    saved = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None or ("Key" not in op and "Item" not in op):
            continue
        hash_value, range_value = _item_key(table, op)
        item = copy.deepcopy(_stored(table, hash_value, range_value))
        saved.append((table, hash_value, range_value, item))
    try:
        _moto_transact_write_items(backend, transact_items)
    except Exception:
        # In reverse, so an item written twice ends as it was first.
        for table, hash_value, range_value, item in reversed(saved):
            _put_back(table, hash_value, range_value, item)
        raise


_moto_transact_write_items = dynamodb.DynamoDBBackend.transact_write_items
dynamodb.copy = _TablesNotCopied
dynamodb.DynamoDBBackend.transact_write_items = _transact_write_items


class SerializedDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                # The whole response is produced while the lock is held.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main():
    port = int(sys.argv[1])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"moto listening on 127.0.0.1:{port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
