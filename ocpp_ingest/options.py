"""Tunables of one ingest node. Defaults come from `Settings`; tests and the bench
pass shorter intervals. Settings that do not exist (yet) fall back to defaults,
so adding them to `Settings` later needs no change here."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

SUBPROTOCOLS = ("ocpp2.0.1", "ocpp1.6")


@dataclass(frozen=True)
class IngestOptions:
    host: str = "127.0.0.1"
    port: int = 9000  # 0: any free port (tests); see IngestServer.port
    # Heartbeat interval told to chargers in an accepted BootNotification.
    heartbeat_interval_s: int = 60
    # Retry interval told to a *pending* (unclaimed) charger in BootNotification.
    pending_boot_interval_s: int = 30
    # Unknown chargers may connect as *pending* only when the operator says so.
    allow_unknown_chargers: bool = False
    # Pending (unclaimed) chargers held at most, and new pending admissions per
    # source address per minute (the burst is the same number).
    max_pending_chargers: int = 200
    pending_admissions_per_minute: float = 10
    # Failed password checks per source address per minute before 429.
    auth_failures_per_minute: float = 60
    # The upgrade's own work (database lookup, password check) gets this long;
    # websockets gives the whole handshake 10 s, and a refusal we can log and
    # explain (503) beats a silent cut.
    auth_timeout_s: float = 8
    # Per connection: messages per second (and burst), bytes per second (and
    # burst). A socket over its budget is closed (1008) with the reason logged.
    max_messages_per_s: float = 20
    message_burst: float = 200
    max_bytes_per_s: float = 256 * 1024
    byte_burst: float = 4 * 2**20
    # Per node, all sockets together (burst: twice the rate).
    node_max_messages_per_s: float = 10_000
    node_max_bytes_per_s: float = 64 * 2**20
    # A frame larger than this gets a CallError (a response: dropped); the
    # websocket itself refuses frames over `max_websocket_frame_bytes` (1009) and
    # buffers at most `max_queued_frames` unread frames per socket.
    max_frame_bytes: int = 128 * 1024
    max_websocket_frame_bytes: int = 2**20 + 1024
    max_queued_frames: int = 4
    # TCP listen backlog (the kernel caps it at net.core.somaxconn).
    listen_backlog: int = 4096
    # A charger silent for longer than this is marked offline by the sweeper.
    offline_after_s: float = 180
    sweep_interval_s: float = 30
    # The node's lease in the database, renewed every third of it: a node that
    # crashed is known gone this long after, and its chargers' remote actions are
    # answered `offline`, its silent chargers swept by the other nodes.
    node_lease_s: float = 15
    # last_seen_at updates are coalesced: checked this often, and written per
    # charger at most every `touch_every_s` (a sixth of offline_after_s).
    touch_flush_s: float = 1.0
    # Group commit of the buffered writer: a batch is written when it holds this
    # many rows, or this long after its first row, whichever comes first.
    flush_rows: int = 500
    flush_ms: float = 10.0
    # gateway.meter_summary at most this often per transaction.
    meter_summary_interval_s: float = 300
    # How long a remote command waits for the charger's answer.
    command_timeout_s: float = 10
    # Websocket keepalive pings (a socket without pongs is closed).
    ping_interval_s: float | None = 20
    # Validate OCPP payloads against the JSON schemas in the event loop rather than
    # the default thread pool (`ocpp.messages.ASYNC_VALIDATION`): the schemas are
    # small, and two thread hops per message cost more than they save; measured
    # with bench/ocpp_load.py (p99 at 2,000 chargers 1.07 s -> 0.04 s).
    validate_in_loop: bool = True
    # The interpreter's thread switch interval (`sys.setswitchinterval`, process-
    # wide; Python's default is 5 ms). The writer thread gives up the GIL at every
    # database round trip (and SQLite step) and, while the event loop is busy,
    # waits up to this long to get it back: at 5 ms a busy node's writer managed
    # ~100-170 writes/s on PostgreSQL, at 0.2 ms 1,100-1,500/s (the steady-state
    # mix of bench/ocpp_load.py against a busy loop, same machine and minutes).
    # None leaves the interpreter's setting.
    switch_interval_s: float | None = 0.0002
    # The cyclic garbage collector's thresholds (`gc.set_threshold`, process-wide;
    # Python's default is (700, 10, 10)). A node holds ~150 tracked objects per
    # connected charger, and at Python's default a message's objects that wait a
    # few milliseconds on the writer outlive two young collections and pile up in
    # the old generation: at 8,000 chargers a full collection (400-700 ms, every
    # thread stopped) ran every few seconds and was the whole p99. With a young
    # generation of 50,000 they die young; at 10,000 chargers on SQLite p99 went
    # from 4.9 s to 86 ms (bench/ocpp_load.py). None leaves the interpreter's
    # settings.
    gc_thresholds: tuple[int, int, int] | None = (50_000, 20, 20)

    @property
    def touch_every_s(self) -> float:
        return max(self.touch_flush_s, self.offline_after_s / 6)

    @classmethod
    def from_settings(cls, settings, **overrides) -> IngestOptions:
        names = {
            "host": "ocpp_host",
            "port": "ocpp_port",
            "heartbeat_interval_s": "ocpp_heartbeat_interval_s",
            "pending_boot_interval_s": "ocpp_pending_boot_interval_s",
            "allow_unknown_chargers": "ocpp_allow_unknown_chargers",
            "offline_after_s": "ocpp_offline_after_s",
            "sweep_interval_s": "ocpp_sweep_interval_s",
            "node_lease_s": "ocpp_node_lease_s",
            "touch_flush_s": "ocpp_touch_flush_s",
            "flush_rows": "ocpp_flush_rows",
            "flush_ms": "ocpp_flush_ms",
            "meter_summary_interval_s": "ocpp_meter_summary_interval_s",
            "command_timeout_s": "ocpp_command_timeout_s",
            "max_pending_chargers": "ocpp_max_pending_chargers",
            "pending_admissions_per_minute": "ocpp_pending_admissions_per_minute",
            "auth_failures_per_minute": "ocpp_auth_failures_per_minute",
            "max_messages_per_s": "ocpp_max_messages_per_s",
            "message_burst": "ocpp_message_burst",
            "max_bytes_per_s": "ocpp_max_bytes_per_s",
            "byte_burst": "ocpp_byte_burst",
            "node_max_messages_per_s": "ocpp_node_max_messages_per_s",
            "node_max_bytes_per_s": "ocpp_node_max_bytes_per_s",
            "max_frame_bytes": "ocpp_max_frame_bytes",
        }
        values = {}
        for f in fields(cls):
            setting = names.get(f.name)
            if setting and getattr(settings, setting, None) is not None:
                values[f.name] = getattr(settings, setting)
        if "sweep_interval_s" not in values and "offline_after_s" in values:
            values["sweep_interval_s"] = max(0.05, min(30.0, values["offline_after_s"] / 3))
        return replace(cls(**values), **overrides)


def node_task_queue(node_id: str) -> str:
    """The Temporal task queue of one ingest node (ARCHITECTURE.md: remote actions
    are routed to the node that holds the socket)."""
    return f"ocpp-node-{node_id}"
