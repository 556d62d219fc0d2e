"""Token buckets that keep one charger, one source address or the whole node
from costing the platform without limit (message rate, bytes received, pending
admissions, failed password checks). Monotonic clock; no I/O."""

from __future__ import annotations

import time
from collections import OrderedDict


class Bucket:
    """`rate` tokens per second up to `burst`; `take(n)` is False when empty."""

    __slots__ = ("rate", "burst", "tokens", "at")

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < n:
            return False
        self.tokens -= n
        return True


class KeyedBuckets:
    """One bucket per key (a source address, an OCPP id), at most `max_keys` kept:
    the least recently used is forgotten first, so the table itself is bounded."""

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000):
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, n: float = 1.0) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.rate, self.burst)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(n)

    def empty(self, key: str) -> bool:
        """True when `key` has less than one token left (nothing is taken)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return False
        bucket.take(0)  # refills
        return bucket.tokens < 1


class ConnectionBudget:
    """Per socket and per node: messages per second and bytes per second. `admit`
    returns None while within budget, else why the socket is to be closed."""

    def __init__(self, options, node: NodeBudget):
        self.messages = Bucket(options.max_messages_per_s, options.message_burst)
        self.bytes = Bucket(options.max_bytes_per_s, options.byte_burst)
        self.node = node

    def admit(self, size: int) -> str | None:
        if not self.messages.take():
            return "over its message budget (messages per second)"
        if not self.bytes.take(size):
            return "over its byte budget (bytes per second)"
        return self.node.admit(size)


class NodeBudget:
    def __init__(self, options):
        self.messages = Bucket(options.node_max_messages_per_s, options.node_max_messages_per_s * 2)
        self.bytes = Bucket(options.node_max_bytes_per_s, options.node_max_bytes_per_s * 2)

    def admit(self, size: int) -> str | None:
        if not self.messages.take():
            return "the node is over its message budget"
        if not self.bytes.take(size):
            return "the node is over its byte budget"
        return None
