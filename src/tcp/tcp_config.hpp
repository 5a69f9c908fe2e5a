#pragma once
// Every TCP knob in one plain struct, with Linux's defaults. A listener or a
// connection takes a copy, so limits can differ per listener.
#include <cstddef>
#include <cstdint>

#include "core/time.hpp"

namespace synack::tcp {

enum class SyncookieMode : std::uint8_t { Off, On, Auto };
// Congestion control algorithm of a connection (RFC 9438 CUBIC is Linux's
// default; NewReno is RFC 5681 + RFC 6582).
enum class CongestionAlgorithm : std::uint8_t { Cubic, NewReno };
// How a SACK connection decides a segment is lost: RACK's transmit times
// (RFC 8985, Linux's default since 4.18) or RFC 6675's DupThresh count of
// SACKed segments. Without SACK it is NewReno's duplicate ACKs either way.
enum class LossDetection : std::uint8_t { Rack, Rfc6675 };

struct TcpConfig {
  // Active open: SYN retransmissions before giving up (net.ipv4.tcp_syn_retries).
  // With 6 and a 1 s initial RTO the SYN goes out at 0, 1, 3, 7, 15, 31, 63 s
  // and connect() times out at 127 s.
  int syn_retries = 6;
  // Passive open: SYN-ACK retransmissions (net.ipv4.tcp_synack_retries). With 5
  // they go out at 1, 3, 7, 15, 31 s and the half-open entry dies at 63 s.
  int synack_retries = 5;
  // Data retransmissions before the connection is dropped (net.ipv4.tcp_retries2).
  int retries2 = 15;
  // Initial retransmission timeout (RFC 6298 §2.1, Linux TCP_TIMEOUT_INIT).
  Duration rto_initial = std::chrono::seconds(1);
  Duration rto_min = std::chrono::milliseconds(200);  // Linux TCP_RTO_MIN
  Duration rto_max = std::chrono::seconds(120);       // Linux TCP_RTO_MAX
  // Maximum segment lifetime; TIME-WAIT lasts 2*MSL (Linux holds 60 s).
  Duration msl = std::chrono::seconds(30);
  // Zero-window probes an orphan (closed by the user) sends once they have
  // backed off to rto_max, answered or not (net.ipv4.tcp_orphan_retries; its
  // 0 means 8): a peer that holds its window shut cannot pin it for ever.
  int orphan_retries = 8;
  // How long an orphaned connection may sit in FIN-WAIT-2 (net.ipv4.tcp_fin_timeout).
  Duration fin_timeout = std::chrono::seconds(60);

  // Listener limits: half-open entries (net.ipv4.tcp_max_syn_backlog) and
  // completed connections waiting for accept() (listen()'s backlog).
  std::size_t syn_backlog = 128;
  std::size_t backlog = 128;
  // When the accept queue is full as the final ACK arrives: false drops the
  // ACK so the SYN-ACK is retransmitted later (Linux default); true sends RST
  // (net.ipv4.tcp_abort_on_overflow).
  bool abort_on_overflow = false;
  // SYN cookies (RFC 4987 §3.6), like net.ipv4.tcp_syncookies: Off never
  // (a full SynQueue drops SYNs: the article's SYN flood succeeds), On always
  // (no SynQueue entries at all), Auto only while the SynQueue is full (or
  // the half-open pool is exhausted), and cookie ACKs are checked only within
  // two minutes of that (Linux's default).
  SyncookieMode syncookies = SyncookieMode::Auto;
  // Master secret of the cookie MAC; per-minute keys are derived from it.
  // Set per stack; a fixed value keeps simulated runs reproducible.
  std::uint64_t syncookie_key0 = 0x636f6f6b69652d6bull;
  std::uint64_t syncookie_key1 = 0x65792d73796e6163ull;

  // Our MSS when the device does not say otherwise, and the peer's MSS
  // assumed when its SYN carries no MSS option (RFC 9293 §3.7.1).
  std::uint16_t mss = 1460;
  std::uint16_t default_peer_mss = 536;
  bool window_scaling = true;  // RFC 7323 §2
  bool timestamps = true;      // RFC 7323 §3 (net.ipv4.tcp_timestamps)
  bool sack = true;            // RFC 2018 (net.ipv4.tcp_sack)
  // Tail loss probe (RFC 8985 §7; Linux net.ipv4.tcp_early_retrans = 3).
  bool loss_probe = true;
  LossDetection loss_detection = LossDetection::Rack;
  CongestionAlgorithm congestion = CongestionAlgorithm::Cubic;

  // RFC 5961 §7 rate limits. An ACK answering an out-of-window segment, a
  // PAWS failure or a challenge goes out at most once per this interval per
  // connection (net.ipv4.tcp_invalid_ratelimit; segments with data are never
  // limited, as in Linux). Zero: no limit.
  Duration invalid_ratelimit = std::chrono::milliseconds(500);
  // Challenge ACKs per second for the whole host (net.ipv4.tcp_challenge_ack_limit,
  // 1000 before Linux 6.0 made it per namespace and unlimited). The budget
  // of each second is randomised between half and one and a half times this
  // (CVE-2016-5696). Zero: no host limit.
  std::uint32_t challenge_ack_limit = 1000;

  // Delayed ACK bounds (Linux TCP_DELACK_MIN / TCP_DELACK_MAX).
  Duration delack_min = std::chrono::milliseconds(40);
  Duration delack_max = std::chrono::milliseconds(200);

  // Keepalive (SO_KEEPALIVE, net.ipv4.tcp_keepalive_time/intvl/probes).
  bool keepalive = false;
  Duration keepalive_time = std::chrono::seconds(7200);
  Duration keepalive_interval = std::chrono::seconds(75);
  int keepalive_probes = 9;

  // Per-connection buffers, in bytes: Linux's autotuning ceilings
  // (tcp_wmem / tcp_rmem maximum). The ring buffers grow to them only as
  // data is held, so an idle or slow connection costs little.
  std::size_t send_buffer = 4 * 1024 * 1024;
  std::size_t recv_buffer = 6 * 1024 * 1024;
  // The stack's budget for those buffers' storage, all connections
  // together, like Linux's tcp_mem maximum (about 2 GiB on a 24 GiB
  // machine; the stack's own setting, not a listener's or connect()'s).
  // From two thirds of it (pressure, see BufferPool) buffers offer no
  // growth: writes are cut short, receive windows stop growing and
  // handshakes offer 4 KiB. Past it in-window data with no room is dropped
  // (ConnectionStats::receive_memory_drops). An empty buffer still takes its
  // first 4 KiB block, so every connection keeps moving. Blocks cached for
  // reuse do not count. BufferPoolStats counts refusals and pressure.
  std::size_t buffer_budget = std::size_t{1} << 31;

  bool nodelay = false;  // disable Nagle's algorithm (RFC 9293 §3.7.4)

  // Local ports for active opens (net.ipv4.ip_local_port_range).
  std::uint16_t ephemeral_port_first = 32768;
  std::uint16_t ephemeral_port_last = 60999;

  // Key for initial sequence numbers (RFC 6528). Set per stack; a fixed value
  // keeps simulated runs reproducible.
  std::uint64_t isn_key0 = 0x736e616b65636861ull;
  std::uint64_t isn_key1 = 0x6b2d69736e2d6b31ull;

  // Bounds of the object pools (connections, half-open entries, TIME-WAIT).
  // The pools grow on demand in chunks (core/bounded_pool.hpp), so a bound
  // costs nothing until used: by default one stack holds a million
  // connections, and as many TIME-WAIT mini-sockets as Linux keeps on a
  // machine with 4 GiB or more (tcp_max_tw_buckets, 262,144). Past a bound,
  // connect() fails with NoMemory ("out of memory"), a handshake's final ACK
  // is dropped, TIME-WAIT is skipped (as Linux does), and the pool's
  // stats().failures counts each.
  std::size_t max_connections = 1 << 20;
  std::size_t max_request_socks = 4096;
  std::size_t max_time_wait = 1 << 18;

  bool operator==(const TcpConfig&) const = default;
};

}  // namespace synack::tcp
