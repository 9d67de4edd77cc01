#!/usr/bin/env python3
"""Counts what makes the code hard to change, so a refactoring pass can show
its progress: `python3 infra/architecture_counts.py` prints one figure per
line (and, with `-v`, where each occurrence is).

- api_error_outside_http: `ApiError` constructed in a module that is not an
  HTTP layer, judged by what the module does: it declares handlers
  (`#[utoipa::path]`), or it is one of `*_api.rs`, `*_api/`, `api/`,
  `functions.rs` or the `pc-http`/`pc-host` crates. Anything else is a use
  case or a store reaching for the HTTP crate's error type; use cases say
  what went wrong with their own error or a `Failure`.
- key_literals_outside_owner: partition prefixes spelled outside the crate
  that owns them (`PARTNER#` outside the store port's builder, `USER#`
  outside identity, `LEAD#` outside leads…), in shipped code: a test may
  spell the key it checks (text after `#[cfg(test)]` is not counted).
- key_format_outside_keys_modules: a key spelled with `format!("UPPER#…")`
  in shipped code (tests and `#[cfg(test)]` modules left out) outside a
  `keys.rs` module. Each crate keeps every key it writes in its `keys`
  module (`pc_leads::keys`, `pc_marketplace::keys`, …; the platform's own
  items in `pc_platform::keys`, the shared partner-partition builders in
  the store port's `keys.rs`, each fake's in its own `keys.rs`), and
  store modules call those functions.
- failed_at: positional decoding of a transaction's failure.
- transaction_conflict_outside_store: hand-rolled retries on conflicts
  (`retry_on_conflict`, `retry_until_won` and `commit_retrying` in the
  store port are the one policy).
- hand_rolled_paging: `let mut cursor` outside the store port: a loop
  walking a query's pages by hand instead of `Pages`, `query_up_to`,
  `query_all` or `each_item` (shared/platform/src/store/pages.rs).
- glob_reexports: `pub use x::*;`.
- untyped_queue_sends: a body sent or put in an outbox with its queue
  named beside it (`queue.send(QueueName::…, body)`, `send_json`,
  `outbox.push(QueueName::…)`) instead of as a typed message that names
  its queue (`send_message`, `push_message`), outside tests.
- f64_money: money turned into a float.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"

# The crate owning each key prefix.
KEY_OWNERS = {
    # One builder for every partner-scoped partition, in the store port.
    "PARTNER#": "platform",
    # The user and session records are the auth layer's identity types.
    "USER#": "http",
    "SESSION#": "http",
    "LEAD#": "leads",
    "LISTING#": "marketplace",
    "RESERVATION#": "marketplace",
    "PURCHASE#": "marketplace",
    "INVOICE#": "billing",
}

HTTP_CRATES = {"http", "host"}


def sources():
    for path in sorted(SHARED.rglob("*.rs")):
        if "target" in path.parts:
            continue
        yield path, path.read_text(encoding="utf-8")


def crate_of(path):
    return path.relative_to(SHARED).parts[0]


def is_http_module(path, text=""):
    rel = path.relative_to(SHARED).as_posix()
    name = path.name
    return (
        "#[utoipa::path" in text
        or crate_of(path) in HTTP_CRATES
        or name.endswith("_api.rs")
        or "_api/" in rel
        or "/api/" in rel
        or name == "functions.rs"
        or "/tests/" in rel
        or name in ("tests.rs",)
    )


def is_test(path):
    rel = path.relative_to(SHARED).as_posix()
    return "/tests/" in rel or path.name == "tests.rs"


def count():
    found = {
        "api_error_outside_http": [],
        "key_literals_outside_owner": [],
        "key_format_outside_keys_modules": [],
        "failed_at": [],
        "transaction_conflict_outside_store": [],
        "hand_rolled_paging": [],
        "glob_reexports": [],
        "untyped_queue_sends": [],
        "f64_money": [],
    }
    key_format = re.compile(r'format!\(\s*"[A-Z][A-Z_]*#')
    money = re.compile(r"(cents|amount|price|fee|revenue)[a-z_]*\s+as\s+f64|/\s*100\.0", re.I)
    untyped_send = re.compile(
        r"(send_json|\.send|\.send_delayed|\.push)\(\s*(&\*?[\w.]+,\s*)?QueueName::"
    )
    for path, text in sources():
        rel = path.relative_to(ROOT).as_posix()
        # The text before a file's inline test module: the code that ships.
        shipped = text.split("#[cfg(test)]")[0]
        shipped_lines = 0 if is_test(path) else shipped.count("\n") + 1
        if not is_test(path):
            for match in untyped_send.finditer(shipped):
                number = shipped.count("\n", 0, match.start()) + 1
                found["untyped_queue_sends"].append(f"{rel}:{number}")
            if path.name != "keys.rs":
                for match in key_format.finditer(shipped):
                    number = shipped.count("\n", 0, match.start()) + 1
                    found["key_format_outside_keys_modules"].append(f"{rel}:{number}")
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{rel}:{number}"
            code = line.split("//")[0]
            if not code.strip():
                continue
            if re.search(r"ApiError::|ApiError\s*\{", code) and not is_http_module(path, text):
                found["api_error_outside_http"].append(where)
            for prefix, owner in KEY_OWNERS.items():
                ships = number <= shipped_lines
                if f'"{prefix}' in code and crate_of(path) != owner and ships:
                    found["key_literals_outside_owner"].append(where)
            if "failed_at(" in code and "fn failed_at" not in code:
                found["failed_at"].append(where)
            if "TransactionConflict" in code and "/store" not in rel:
                found["transaction_conflict_outside_store"].append(where)
            if "let mut cursor" in code and "/platform/src/store/" not in rel:
                found["hand_rolled_paging"].append(where)
            if re.search(r"pub use [\w:]+::\*;", code):
                found["glob_reexports"].append(where)
            if money.search(code):
                found["f64_money"].append(where)
    return found


def main():
    verbose = "-v" in sys.argv
    for name, places in count().items():
        print(f"{name}: {len(places)}")
        if verbose:
            for place in places:
                print(f"  {place}")


if __name__ == "__main__":
    main()
