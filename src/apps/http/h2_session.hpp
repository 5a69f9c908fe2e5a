#pragma once
// One HTTP/2 connection on the server side (RFC 9113), sans-IO over
// nghttp2's session API: bytes go in through nghttp2_session_mem_recv and
// come out of nghttp2_session_mem_send; nghttp2 does the framing, HPACK,
// flow control and SETTINGS. Each request that ends its stream goes to the
// same Handler as HTTP/1.1; many streams run at once.
//
// Memory per connection is bounded: at most max_concurrent_streams streams
// (§5.1.2; nghttp2 refuses more), at most max_connection_body_bytes of
// request content across them (more is refused), a response's content is
// read from its source as DATA frames go out (nghttp2's data provider), and
// at most 1 MiB of frames waits for the socket. A stream that makes no progress for
// idle_timeout (its request stalls, or its response cannot be sent) ends
// the connection with GOAWAY; one whose frames cannot even be sent is reset.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/http/http_date.hpp"
#include "apps/http/http_message.hpp"
#include "apps/http/protocol_session.hpp"

struct nghttp2_session;

namespace synack::apps::http {

struct Http2Config {
  std::uint32_t max_concurrent_streams = 100;  // SETTINGS_MAX_CONCURRENT_STREAMS (§6.5.2)
  std::uint32_t initial_window = 1 << 20;      // SETTINGS_INITIAL_WINDOW_SIZE for uploads
  std::size_t max_header_bytes = 16 * 1024;    // SETTINGS_MAX_HEADER_LIST_SIZE
  std::size_t max_body_bytes = 1 << 20;        // beyond: 413
  // Request content held across a connection's streams; a stream whose
  // content would pass it is reset with REFUSED_STREAM (retryable).
  std::size_t max_connection_body_bytes = 8 << 20;
  Duration idle_timeout = std::chrono::seconds(60);  // idle, or a stream stalled: GOAWAY
  // Requests per connection; the last one's stream is a GOAWAY's
  // last-stream-id, and later streams are refused (nginx's keepalive_requests);
  // 0: no limit.
  std::uint64_t max_requests = 1000;
  const HttpDate* date = nullptr;  // the Date field's value (RFC 9110 §6.6.1)
};

class H2Session final : public ProtocolSession {
 public:
  // `tls`: the protocol is "h2" (over TLS, ALPN) rather than "h2c".
  H2Session(Handler handler, Http2Config cfg, Instant now, bool tls);
  ~H2Session() override;
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  void receive(std::string_view bytes, Instant now) override;
  void receive_eof(Instant now) override;
  std::string_view pending_output() const override {
    return std::string_view(out_).substr(out_pos_);
  }
  void consume_output(std::size_t n, Instant now) override;
  Instant deadline() const override;
  void on_timer(Instant now) override;
  bool finished() const override;
  bool aborted() const override { return aborted_; }
  std::uint64_t requests() const override { return requests_; }
  std::uint64_t errors() const override { return errors_ + timeouts_; }
  // Streams stalled past the timeout (each ends the connection).
  std::uint64_t timeouts() const { return timeouts_; }
  std::string_view protocol() const override { return tls_ ? "h2" : "h2c"; }

  std::size_t open_streams() const { return streams_.size(); }
  // Response bytes held: frames not yet sent, and in-memory bodies (a
  // streamed source holds none).
  std::size_t buffered_bytes() const;

  // Continues a connection upgraded from HTTP/1.1 (RFC 7540 §3.2): applies
  // the client's base64url HTTP2-Settings and answers `request` on stream 1.
  // False (and a GOAWAY) when the settings do not decode.
  bool upgrade(std::string_view settings_base64url, Request request, Instant now);

 private:
  struct Stream {
    Request request;
    std::size_t header_bytes = 0;
    int refuse = 0;      // 431 or 413: a limit was passed, the request is not served
    bool reset = false;  // reset with REFUSED_STREAM: not answered at all
    bool answered = false;
    std::string body;      // the response's content, when small and in memory
    BodySourcePtr source;  // or where it is read from as it is sent
    std::uint64_t sent = 0;
    Instant progress;  // its last frame in or out
  };
  struct Callbacks;
  void dispatch(std::int32_t id);
  void fill_output();

  Handler handler_;
  Http2Config cfg_;
  bool tls_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, Stream> streams_;
  std::vector<std::int32_t> ready_;  // streams whose request is complete
  std::string out_;
  std::size_t out_pos_ = 0;
  Instant last_activity_;
  Instant now_;            // the time of the call nghttp2's callbacks run in
  Instant data_progress_;  // the last DATA frame out, on any stream
  std::uint64_t requests_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t timeouts_ = 0;
  std::size_t body_bytes_ = 0;      // request content held, all streams
  std::int32_t limit_last_id_ = 0;  // max_requests reached: the GOAWAY's last-stream-id
  bool failed_ = false;
  bool peer_eof_ = false;
  bool timed_out_ = false;  // GOAWAY for a stall or idleness
  bool aborted_ = false;    // stalled with frames unsent: reset the connection
};

}  // namespace synack::apps::http
