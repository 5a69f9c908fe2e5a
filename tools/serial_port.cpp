#include "serial_port.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "cli_checks.hpp"

namespace synack::tools {

namespace {

void set_nonblocking(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

}  // namespace

std::optional<std::string> check_pty_link(const std::string& link) {
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0) {
    if (!S_ISLNK(st.st_mode))
      return "'" + link + "' exists and is not a symlink (it would be replaced)";
    return std::nullopt;
  }
  return check_output_path(link);
}

std::unique_ptr<SerialPort> SerialPort::open_pty(const std::string& link, std::string& err) {
  std::unique_ptr<SerialPort> p(new SerialPort());
  int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || ::grantpt(m) != 0 || ::unlockpt(m) != 0) {
    err = std::string("cannot open a pseudo-terminal: ") + std::strerror(errno);
    if (m >= 0) ::close(m);
    return nullptr;
  }
  p->in_ = p->out_ = m;
  char name[PATH_MAX];
  if (::ptsname_r(m, name, sizeof name) != 0) {
    err = std::string("ptsname: ") + std::strerror(errno);
    return nullptr;
  }
  p->path_ = name;
  p->slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p->slave_ < 0) {
    err = "cannot open " + p->path_ + ": " + std::strerror(errno);
    return nullptr;
  }
  // Raw: no echo, no line editing, no CR/LF translation, 8 bits.
  termios t{};
  ::tcgetattr(p->slave_, &t);
  ::cfmakeraw(&t);
  ::cfsetspeed(&t, B115200);
  ::tcsetattr(p->slave_, TCSANOW, &t);
  set_nonblocking(m);
  ::unlink(link.c_str());  // an old symlink (checked before)
  if (::symlink(name, link.c_str()) != 0) {
    err = "cannot create the symlink " + link + ": " + std::strerror(errno);
    return nullptr;
  }
  p->link_ = link;
  return p;
}

std::unique_ptr<SerialPort> SerialPort::open_stdio() {
  std::unique_ptr<SerialPort> p(new SerialPort());
  p->in_ = STDIN_FILENO;
  p->out_ = STDOUT_FILENO;
  set_nonblocking(p->in_);
  set_nonblocking(p->out_);
  return p;
}

SerialPort::~SerialPort() {
  if (!link_.empty()) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(link_.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<std::size_t>(n)) == path_) ::unlink(link_.c_str());
  }
  if (slave_ >= 0) ::close(slave_);
  if (in_ > STDERR_FILENO) ::close(in_);
}

std::optional<std::size_t> SerialPort::read(std::span<std::uint8_t> buf) {
  ssize_t n = ::read(in_, buf.data(), buf.size());
  if (n > 0) return static_cast<std::size_t>(n);
  if (n == 0) return std::nullopt;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
  return std::nullopt;
}

std::size_t SerialPort::write(std::span<const std::uint8_t> data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(out_, data.data() + done, data.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace synack::tools
