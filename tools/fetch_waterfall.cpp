#include "fetch_waterfall.hpp"

#include <algorithm>
#include <cstdio>

namespace synack::tools {

using apps::http::FetchRecord;

namespace {

double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string ms_or_dash(Instant from, Instant to) {
  if (from == kNever || to == kNever) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", ms(to - from));
  return b;
}

std::string xml_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '<')
      r += "&lt;";
    else if (c == '>')
      r += "&gt;";
    else if (c == '&')
      r += "&amp;";
    else if (c == '"')
      r += "&quot;";
    else
      r += c;
  }
  return r;
}

}  // namespace

std::string format_waterfall(const std::deque<FetchRecord>& records, Instant t0) {
  std::string out =
      "  #  conn         start  connect      tls     ttfb      end    bytes status proto    "
      "url\n";
  char line[512];
  for (const FetchRecord& r : records) {
    std::string conn = r.connection ? std::to_string(r.connection) : "-";
    std::string status = r.status ? std::to_string(r.status) : "ERR";
    std::string tls = ms_or_dash(r.connected, r.tls_done);
    if (r.tls_done != kNever) tls += r.tls_resumed ? "R" : "F";
    std::snprintf(line, sizeof line, "%3llu  %3s %-6s %8s %8s %8s %8s %8s %8zu %6s %-8s %s%s%s\n",
                  static_cast<unsigned long long>(r.id), conn.c_str(),
                  r.connection == 0 ? "-" : (r.reused ? "reused" : "new"),
                  ms_or_dash(t0, r.started).c_str(),
                  ms_or_dash(r.connect_start, r.connected).c_str(), tls.c_str(),
                  ms_or_dash(r.sent, r.first_byte).c_str(), ms_or_dash(t0, r.end).c_str(), r.bytes,
                  status.c_str(), r.protocol.empty() ? "-" : r.protocol.c_str(),
                  r.url.text().c_str(), r.error.empty() ? "" : "  ", r.error.c_str());
    out += line;
    if (r.retries)  // sent again: the line above is the attempt that counted
      out += "       retried " + std::to_string(r.retries) + "x: " + r.retry_reason + "\n";
  }
  return out;
}

std::string format_pool_summary(const apps::http::PoolStats& st,
                                const std::deque<FetchRecord>& records, Duration elapsed) {
  std::size_t ok = 0;
  std::uint64_t bytes = 0;
  for (const FetchRecord& r : records) {
    if (r.status >= 200 && r.status < 400) ++ok;
    bytes += r.bytes;
  }
  char b[512];
  std::string out;
  std::snprintf(
      b, sizeof b, "fetch: %zu requests, %zu ok (2xx/3xx), %zu failed, %llu bytes in %.1f ms\n",
      records.size(), ok, records.size() - ok, static_cast<unsigned long long>(bytes), ms(elapsed));
  out += b;
  std::snprintf(b, sizeof b,
                "fetch: connections opened %llu, reused %llu, most open to one host %zu\n",
                static_cast<unsigned long long>(st.connections_opened),
                static_cast<unsigned long long>(st.connections_reused), st.max_open_per_host);
  out += b;
  std::snprintf(b, sizeof b, "fetch: tls handshakes full %llu, resumed %llu\n",
                static_cast<unsigned long long>(st.tls_full),
                static_cast<unsigned long long>(st.tls_resumed));
  out += b;
  out += "fetch: requests per connection:";
  for (std::size_t i = 0; i < st.requests_per_connection.size(); ++i)
    out += " " + std::to_string(i + 1) + ":" + std::to_string(st.requests_per_connection[i]);
  out += "\n";
  std::snprintf(b, sizeof b, "fetch: queue wait total %.1f ms, max %.1f ms\n",
                ms(st.total_queue_wait), ms(st.max_queue_wait));
  out += b;
  if (st.retries) {
    std::snprintf(b, sizeof b, "fetch: retried %llu (not processed by the server, sent again)\n",
                  static_cast<unsigned long long>(st.retries));
    out += b;
  }
  return out;
}

std::string waterfall_svg(const std::deque<FetchRecord>& records, Instant t0) {
  Instant last = t0;
  for (const FetchRecord& r : records)
    if (r.end != kNever) last = std::max(last, r.end);
  double total = std::max(1.0, ms(last - t0));
  const int label_w = 330, chart_w = 700, row_h = 18, top = 30;
  int height = top + row_h * static_cast<int>(records.size()) + 20;
  double scale = chart_w / total;
  auto x = [&](Instant t) { return label_w + ms(t - t0) * scale; };
  char b[1024];
  std::string out;
  std::snprintf(b, sizeof b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"monospace\" font-size=\"11\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"4\" y=\"16\">synack fetch: %zu requests in %.1f ms (grey: queued, "
                "orange: TCP connect, purple: TLS, green: waiting, blue: receiving)</text>\n",
                label_w + chart_w + 20, height, records.size(), total);
  out += b;
  int row = 0;
  for (const FetchRecord& r : records) {
    int y = top + row_h * row++;
    std::string label = "c" + std::to_string(r.connection) + (r.reused ? " " : "*") + " " +
                        std::to_string(r.status) + " " + r.url.target;
    if (label.size() > 45) label = label.substr(0, 45);
    std::snprintf(b, sizeof b, "<text x=\"4\" y=\"%d\">%s</text>\n", y + 12,
                  xml_escape(label).c_str());
    out += b;
    auto bar = [&](Instant from, Instant to, const char* colour) {
      if (from == kNever || to == kNever || to < from) return;
      std::snprintf(b, sizeof b,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    x(from), y + 3, std::max(1.0, x(to) - x(from)), row_h - 6, colour);
      out += b;
    };
    bar(r.queued, r.started, "#cccccc");
    bar(r.connect_start, r.connected, "#f0a030");
    bar(r.connected, r.tls_done, "#b050c0");
    bar(r.sent, r.first_byte, "#60b060");
    bar(r.first_byte, r.end, "#3070d0");
  }
  out += "</svg>\n";
  return out;
}

}  // namespace synack::tools
