"""moto's server, for the pc-aws tests.

Usage: python3 moto_server.py PORT

It serves moto's full backend on 127.0.0.1:PORT, exactly as
`python3 -m moto.server -p PORT` does, with two differences the tests need:

- DynamoDB requests are served one at a time. moto's DynamoDB backend has
  no locking: its TransactWriteItems copies the table, and a cancelled
  transaction restores that copy, so concurrent transactions can lose each
  other's writes. DynamoDB makes every conditional write and transaction
  atomic; serializing them in moto gives the tests those semantics. The
  other services stay concurrent (SQS long polls must not block).
- It stops when its standard input closes, i.e. when the test process that
  started it exits, so no server outlives its tests.
"""

import logging
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


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
