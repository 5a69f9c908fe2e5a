#include "apps/ddns/ddns_spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "apps/http/fetch_url.hpp"

namespace synack::apps::ddns {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return true;
}

// The key file's tokens: words, quoted strings (without quotes), '{', '}'
// and ';'; comments dropped.
std::optional<std::vector<std::string>> tokenize(std::string_view t, std::string* err) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < t.size() && t[i + 1] == '/')) {
      while (i < t.size() && t[i] != '\n')
        ++i;
    } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      auto end = t.find("*/", i + 2);
      if (end == std::string_view::npos) {
        *err = "unterminated comment";
        return std::nullopt;
      }
      i = end + 2;
    } else if (c == '{' || c == '}' || c == ';') {
      out.emplace_back(1, c);
      ++i;
    } else if (c == '"') {
      auto end = t.find('"', i + 1);
      if (end == std::string_view::npos) {
        *err = "unterminated string";
        return std::nullopt;
      }
      out.emplace_back(t.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      std::size_t j = i;
      while (j < t.size() && !std::isspace(static_cast<unsigned char>(t[j])) && t[j] != '{' &&
             t[j] != '}' && t[j] != ';' && t[j] != '"')
        ++j;
      out.emplace_back(t.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

bool is_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
  }
  return pad <= 2;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<TsigKey> parse_tsig_key_file(std::string_view text, std::string* err) {
  auto toks = tokenize(text, err);
  if (!toks) return std::nullopt;
  const auto& t = *toks;
  // key NAME { algorithm ALG ; secret SECRET ; } ;
  std::size_t i = 0;
  while (i < t.size() && t[i] != "key")
    ++i;
  if (i + 2 >= t.size() || t[i + 2] != "{") {
    *err = "no 'key \"NAME\" {' statement";
    return std::nullopt;
  }
  auto name = normalize_fqdn(t[i + 1]);
  if (!name) {
    *err = "bad key name '" + t[i + 1] + "'";
    return std::nullopt;
  }
  TsigKey k;
  k.name = *name;
  i += 3;
  while (i < t.size() && t[i] != "}") {
    if (i + 2 >= t.size() || t[i + 2] != ";") {
      *err = "expected 'WORD VALUE;' inside the key statement";
      return std::nullopt;
    }
    if (t[i] == "algorithm")
      k.algorithm = lower(t[i + 1]);
    else if (t[i] == "secret")
      k.secret = t[i + 1];
    i += 3;
  }
  if (i >= t.size()) {
    *err = "the key statement does not end with '};'";
    return std::nullopt;
  }
  if (k.algorithm.empty() || k.secret.empty()) {
    *err = "the key has no algorithm or no secret";
    return std::nullopt;
  }
  if (k.algorithm != "hmac-sha256") {
    *err = "algorithm " + k.algorithm + " is not hmac-sha256";
    return std::nullopt;
  }
  if (!is_base64(k.secret)) {
    *err = "the secret is not base64";
    return std::nullopt;
  }
  return k;
}

std::optional<std::string> normalize_fqdn(std::string_view name) {
  std::string n = lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty() || n.size() > 253) return std::nullopt;
  std::size_t start = 0;
  while (start <= n.size()) {
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    std::size_t len = dot - start;
    if (len == 0 || len > 63) return std::nullopt;
    for (std::size_t i = start; i < dot; ++i) {
      char c = n[i];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
        return std::nullopt;
    }
    start = dot + 1;
  }
  return n + ".";
}

std::optional<DdnsSpec> DdnsSpec::parse(std::string_view text, std::string* err) {
  DdnsSpec s;
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    *err = "expected rfc2136:SERVER,ZONE,NAME,KEYFILE or dyndns2:URL,NAME,USER:PASSWORD";
    return std::nullopt;
  }
  std::string_view kind = text.substr(0, colon), rest = text.substr(colon + 1);
  auto split = [](std::string_view r, std::size_t n) {
    // The first n-1 commas separate; the last field keeps the rest.
    std::vector<std::string> f;
    while (f.size() + 1 < n) {
      auto c = r.find(',');
      if (c == std::string_view::npos) break;
      f.emplace_back(r.substr(0, c));
      r = r.substr(c + 1);
    }
    f.emplace_back(r);
    return f;
  };
  if (kind == "rfc2136") {
    s.kind = Kind::Rfc2136;
    auto f = split(rest, 4);
    if (f.size() != 4 || f[3].find(',') != std::string::npos) {
      *err = "expected rfc2136:SERVER,ZONE,NAME,KEYFILE";
      return std::nullopt;
    }
    auto& r = s.rfc2136;
    std::string server = f[0];
    if (auto pc = server.find(':'); pc != std::string::npos) {
      unsigned port = 0;
      auto ps = server.substr(pc + 1);
      auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
      if (ec != std::errc() || p != ps.data() + ps.size() || port == 0 || port > 65535) {
        *err = "bad server port in '" + server + "'";
        return std::nullopt;
      }
      r.port = static_cast<std::uint16_t>(port);
      server = server.substr(0, pc);
    }
    auto ip = wire::Ipv4Address::parse(server);
    if (!ip || ip->is_unspecified()) {
      *err = "bad server '" + server + "': expected an IPv4 address";
      return std::nullopt;
    }
    r.server = *ip;
    auto zone = normalize_fqdn(f[1]);
    auto name = normalize_fqdn(f[2]);
    if (!zone) {
      *err = "bad zone '" + f[1] + "'";
      return std::nullopt;
    }
    if (!name) {
      *err = "bad name '" + f[2] + "'";
      return std::nullopt;
    }
    if (!(*name == *zone ||
          (name->size() > zone->size() &&
           name->compare(name->size() - zone->size() - 1, std::string::npos, "." + *zone) == 0))) {
      *err = "name " + *name + " is not in zone " + *zone;
      return std::nullopt;
    }
    r.zone = *zone;
    r.name = *name;
    r.key_file = f[3];
    std::string text_key;
    if (!read_file(r.key_file, text_key)) {
      *err = "cannot read key file '" + r.key_file + "'";
      return std::nullopt;
    }
    std::string kerr;
    auto key = parse_tsig_key_file(text_key, &kerr);
    if (!key) {
      *err = "key file '" + r.key_file + "': " + kerr;
      return std::nullopt;
    }
    r.key = *key;
    return s;
  }
  if (kind == "dyndns2") {
    s.kind = Kind::Dyndns2;
    auto f = split(rest, 3);
    if (f.size() != 3) {
      *err = "expected dyndns2:URL,NAME,USER:PASSWORD or dyndns2:URL,NAME,@FILE";
      return std::nullopt;
    }
    auto& d = s.dyndns2;
    std::string uerr;
    auto url = http::parse_fetch_url(f[0], &uerr, /*allow_names=*/true);
    if (!url) {
      *err = "bad URL '" + f[0] + "': " + uerr;
      return std::nullopt;
    }
    if (url->target.find('?') != std::string::npos) {
      *err = "bad URL '" + f[0] + "': no query expected (synack adds hostname and myip)";
      return std::nullopt;
    }
    d.url = f[0];
    auto name = normalize_fqdn(f[1]);
    if (!name) {
      *err = "bad name '" + f[1] + "'";
      return std::nullopt;
    }
    d.name = name->substr(0, name->size() - 1);  // dyndns2 names carry no final dot
    std::string creds = f[2];
    if (!creds.empty() && creds[0] == '@') {
      std::string text_creds;
      if (!read_file(creds.substr(1), text_creds)) {
        *err = "cannot read credentials file '" + creds.substr(1) + "'";
        return std::nullopt;
      }
      creds = text_creds.substr(0, text_creds.find('\n'));
      if (!creds.empty() && creds.back() == '\r') creds.pop_back();
    }
    auto c = creds.find(':');
    if (c == std::string::npos || c == 0) {
      *err = "credentials must be USER:PASSWORD (or @FILE holding that line)";
      return std::nullopt;
    }
    d.user = creds.substr(0, c);
    d.password = creds.substr(c + 1);
    return s;
  }
  *err = "unknown kind '" + std::string(kind) + "': expected rfc2136 or dyndns2";
  return std::nullopt;
}

std::string DdnsSpec::describe() const {
  if (kind == Kind::Rfc2136)
    return "rfc2136 " + rfc2136.name + " at " + rfc2136.server.to_string() +
           (rfc2136.port != 53 ? ":" + std::to_string(rfc2136.port) : std::string());
  return "dyndns2 " + dyndns2.name + " at " + dyndns2.url;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v =
        (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string up(user);
  up += ':';
  up += password;
  return "Basic " + base64(up);
}

std::string dyndns2_target(std::string_view path, std::string_view name, wire::Ipv4Address addr) {
  auto enc = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += c;
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[u >> 4];
        out += kHex[u & 15];
      }
    }
    return out;
  };
  std::string p(path.empty() || path == "/" ? std::string_view("/nic/update") : path);
  return p + "?hostname=" + enc(name) + "&myip=" + addr.to_string();
}

UpdateResult parse_dyndns2_answer(int http_status, std::string_view body,
                                  std::optional<std::string_view> retry_after_header,
                                  std::optional<wire::Ipv4Address> sent) {
  // A server's wait is capped at 30 days (no overflow, and no name left
  // stale for ever by one odd answer).
  constexpr std::int64_t kMaxWait = 30 * 24 * 3600;
  UpdateResult r;
  std::optional<Duration> header_wait;
  if (retry_after_header) {
    std::int64_t secs = 0;
    auto h = *retry_after_header;
    auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), secs);
    if (ec == std::errc() && secs >= 0)
      header_wait = std::chrono::seconds(std::min<std::int64_t>(secs, kMaxWait));
  }
  // The first line, trimmed; its first word.
  std::string_view line = body.substr(0, body.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
    line.remove_suffix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
    line.remove_prefix(1);
  std::string word(line.substr(0, line.find(' ')));
  r.detail = line.empty() ? "HTTP " + std::to_string(http_status) : std::string(line);
  r.retry_after = header_wait;
  if (http_status == 401 || http_status == 403) {
    r.outcome = UpdateOutcome::Fatal;
    if (word != "badauth") r.detail = "badauth (HTTP " + std::to_string(http_status) + ")";
    return r;
  }
  if (http_status < 200 || http_status >= 300) {
    r.outcome = UpdateOutcome::Transient;
    r.detail = "HTTP " + std::to_string(http_status) + (line.empty() ? "" : ": " + r.detail);
    return r;
  }
  if (word == "good" && sent && *sent != wire::Ipv4Address(127, 0, 0, 1) &&
      line.substr(std::min(line.size(), word.size() + 1)) == "127.0.0.1") {
    // Dyn's return codes: "good 127.0.0.1" answers a request it ignored
    // because the client does not follow the specification.
    r.outcome = UpdateOutcome::Fatal;
    r.detail += " (the service ignored the request: " + sent->to_string() + " was sent)";
  } else if (word == "good") {
    r.outcome = UpdateOutcome::Good;
  } else if (word == "nochg") {
    r.outcome = UpdateOutcome::NoChange;
  } else if (word == "badauth" || word == "nohost" || word == "notfqdn" || word == "!donator" ||
             word == "badagent" || word == "abuse" || word == "numhost" || word == "!yours" ||
             word == "!active" || word == "!agent" || word == "badsys") {
    r.outcome = UpdateOutcome::Fatal;
  } else if (word == "911") {
    r.outcome = UpdateOutcome::Transient;
    if (!r.retry_after) r.retry_after = std::chrono::minutes(30);
  } else if (word == "dnserr") {
    r.outcome = UpdateOutcome::Transient;
  } else if (word == "wait") {
    // "wait 10m ..." (an older dyndns answer): the number and its unit.
    r.outcome = UpdateOutcome::Transient;
    std::string_view arg = line.substr(std::min(line.size(), word.size() + 1));
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (ec == std::errc() && n > 0) {
      n = std::min<std::int64_t>(n, kMaxWait);
      char unit = p < arg.data() + arg.size() ? *p : 's';
      Duration d = unit == 'h'   ? Duration(std::chrono::hours(n))
                   : unit == 'm' ? Duration(std::chrono::minutes(n))
                                 : Duration(std::chrono::seconds(n));
      r.retry_after = std::min<Duration>(std::max(r.retry_after.value_or(Duration::zero()), d),
                                         std::chrono::seconds(kMaxWait));
    }
  } else {
    r.outcome = UpdateOutcome::Transient;
    r.detail = "unexpected answer '" + r.detail + "'";
  }
  return r;
}

}  // namespace synack::apps::ddns
