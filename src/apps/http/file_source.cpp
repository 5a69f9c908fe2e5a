#include "apps/http/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace synack::apps::http {

namespace {

constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ull;

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string quoted(std::uint64_t h) {
  return fmt::format("\"{:016x}\"", h);
}

// A regular file read with pread() as it is sent; the descriptor stays open
// as long as a response needs it, so a file replaced meanwhile is not mixed
// into the answer.
class FileBody final : public BodySource {
 public:
  FileBody(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~FileBody() override { ::close(fd_); }
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  std::uint64_t size() const override { return size_; }
  std::size_t read(std::uint64_t offset, char* buf, std::size_t n) const override {
    std::size_t got = 0;
    while (got < n && offset + got < size_) {
      ssize_t r = ::pread(fd_, buf + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }

 private:
  int fd_;
  std::uint64_t size_;
};

}  // namespace

std::string entity_tag(std::string_view content) {
  return quoted(fnv1a(content, kFnvBasis));
}

bool safe_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  std::string_view rest = path.substr(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return true;
}

DirectorySource::DirectorySource(std::filesystem::path root) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec) root_ = std::move(root);
}

std::optional<FileEntry> DirectorySource::load(std::string_view path) const {
  if (!safe_path(path)) return std::nullopt;
  std::error_code ec;
  // "//a.css" is "/a.css" (slashes merged, as nginx does); a path that
  // kept its second slash would be absolute and replace the root, which
  // let "//ROOT/a.css" confirm where ROOT is.
  std::string_view rel = path;
  while (!rel.empty() && rel.front() == '/')
    rel.remove_prefix(1);
  std::filesystem::path p = root_ / std::filesystem::path(rel);
  bool dir = std::filesystem::is_directory(p, ec);
  if (dir && path.back() != '/') {
    FileEntry e;
    e.directory = true;  // RFC 9110 §15.4.2: the handler redirects to "path/"
    return e;
  }
  if (dir) p /= "index.html";
  std::filesystem::path real = std::filesystem::canonical(p, ec);
  if (ec || !std::filesystem::is_regular_file(real, ec)) return std::nullopt;
  // Symbolic links may not lead out of the directory.
  auto [r, _] = std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
  if (r != root_.end()) return std::nullopt;
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  FileEntry e;
  e.body = std::make_shared<FileBody>(fd, static_cast<std::uint64_t>(st.st_size));
  // The tag hashes the content in pieces, never holding all of it.
  std::uint64_t h = kFnvBasis;
  char buf[64 * 1024];
  for (std::uint64_t at = 0; at < e.body->size();) {
    std::size_t n = e.body->read(at, buf, sizeof buf);
    if (n == 0) return std::nullopt;
    h = fnv1a(std::string_view(buf, n), h);
    at += n;
  }
  e.etag = quoted(h);
  return e;
}

void MemorySource::add(std::string path, std::string content) {
  File f;
  f.etag = entity_tag(content);
  f.bytes = std::make_shared<const std::string>(std::move(content));
  files_[std::move(path)] = std::move(f);
}

std::optional<FileEntry> MemorySource::load(std::string_view path) const {
  std::string key(path);
  if (!key.empty() && key.back() == '/') key += "index.html";
  auto it = files_.find(key);
  if (it == files_.end()) {
    // A directory of files without its slash: redirect (see FileSource).
    auto below = files_.lower_bound(key + "/");
    if (!key.empty() && below != files_.end() && below->first.starts_with(key + "/") &&
        files_.count(key + "/index.html")) {
      FileEntry e;
      e.directory = true;
      return e;
    }
    return std::nullopt;
  }
  FileEntry e;
  e.body = string_body(it->second.bytes);
  e.etag = it->second.etag;
  return e;
}

}  // namespace synack::apps::http
