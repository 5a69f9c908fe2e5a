#pragma once
// One HTTP/2 connection on the client side (RFC 9113), sans-IO over
// nghttp2's client session: GETs go in through submit(), bytes from the
// server through receive(), bytes to send out of pending_output(). Many
// streams run at once; nghttp2 holds requests beyond the server's
// SETTINGS_MAX_CONCURRENT_STREAMS until a stream closes, does HPACK and
// sends WINDOW_UPDATEs. Each request carries the caller's tag back.
//
// A request the server did not process goes back to the caller through
// Events::retry, to be sent again on a new connection: one on a stream the
// server reset with REFUSED_STREAM (RFC 9113 §8.7), one above a GOAWAY's
// last-stream-id, and one not yet sent when a GOAWAY came or the connection
// ended (§6.8). After a GOAWAY the session takes no new request (draining()).
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "apps/http/fetch_url.hpp"
#include "apps/http/http_message.hpp"

struct nghttp2_session;

namespace synack::apps::http {

class H2ClientSession {
 public:
  struct Events {
    std::function<void(std::uint64_t tag)> first_byte;
    // error empty: `response` is complete.
    std::function<void(std::uint64_t tag, Response response, std::string error)> done;
    // The request was not processed: send it again elsewhere. Without this
    // callback such a request is done with an error.
    std::function<void(std::uint64_t tag)> retry;
  };

  explicit H2ClientSession(Events events);
  ~H2ClientSession();
  H2ClientSession(const H2ClientSession&) = delete;
  H2ClientSession& operator=(const H2ClientSession&) = delete;

  void submit(const FetchUrl& url, std::uint64_t tag, const HeaderList& headers = {});
  void receive(std::string_view bytes);
  std::string take_output();
  // Streams submitted and not yet done.
  std::size_t active() const { return streams_.size(); }
  // The connection ended: every stream still open fails with `why`.
  void connection_lost(const std::string& why) { fail_all(why); }
  // The connection is broken (protocol error or GOAWAY with streams left).
  bool failed() const { return failed_; }
  // The server sent GOAWAY (or the session failed): no new request goes here.
  bool draining() const { return goaway_ || failed_; }
  // The server answered a stream here, or its GOAWAY accepted one: a
  // request it refused is not a sign that it refuses everything.
  bool made_progress() const { return answered_ > 0 || (goaway_ && goaway_last_id_ > 0); }

 private:
  struct Stream {
    std::uint64_t tag = 0;
    Response response;
    bool got_bytes = false;
    bool sent = false;     // its HEADERS went out
    bool interim = false;  // reading a 1xx response's fields
  };
  struct Callbacks;
  void fail_all(const std::string& why);
  // A request the server never processed: retry() it, or fail it.
  void unprocessed(std::uint64_t tag, const std::string& why);

  Events events_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, Stream> streams_;
  bool failed_ = false;
  bool goaway_ = false;
  std::int32_t goaway_last_id_ = 0;  // the GOAWAY's last-stream-id
  std::uint64_t answered_ = 0;       // streams that ended with a response
};

}  // namespace synack::apps::http
