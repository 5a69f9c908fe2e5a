#pragma once
// The modem's serial line: a pseudo-terminal in raw mode (its slave side
// named by a symlink), or stdin/stdout. Non-blocking reads and writes.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace synack::tools {

class SerialPort {
 public:
  // A new pty with LINK -> /dev/pts/N. nullptr, with `err`, on failure.
  static std::unique_ptr<SerialPort> open_pty(const std::string& link, std::string& err);
  static std::unique_ptr<SerialPort> open_stdio();
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  int read_fd() const { return in_; }
  const std::string& path() const { return path_; }  // the pty's /dev/pts/N
  // Bytes read, 0 when nothing is waiting; nullopt at end of input.
  std::optional<std::size_t> read(std::span<std::uint8_t> buf);
  // Bytes written (maybe fewer, or 0, when the other side does not read).
  std::size_t write(std::span<const std::uint8_t> data);

 private:
  SerialPort() = default;
  int in_ = -1;
  int out_ = -1;
  int slave_ = -1;  // held open: the master then never reads EIO
  std::string path_;
  std::string link_;
};

// Why LINK cannot become the pty's symlink (an existing file that is not a
// symlink, a missing or unwritable directory); nullopt when it can.
std::optional<std::string> check_pty_link(const std::string& link);

}  // namespace synack::tools
