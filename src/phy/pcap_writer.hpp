#pragma once
// Writes frames to a pcap file (libpcap), stamped with virtual time, so that
// any run, simulated or real, can be opened in Wireshark or tshark.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/time.hpp"

// libpcap's handles, kept out of this header.
struct pcap;
struct pcap_dumper;

namespace synack::phy {

enum class PcapLinkType {
  RawIp,     // frames are bare IP packets (TUN, the simulator): LINKTYPE_RAW
  Ethernet,  // frames start with an Ethernet header (TAP): LINKTYPE_ETHERNET
};

class PcapWriter {
 public:
  static constexpr std::size_t kDefaultSnapLen = 65535;

  // Creates (truncates) `path`. On failure returns null and, if `error` is
  // non-null, libpcap's message.
  static std::unique_ptr<PcapWriter> open(const std::string& path, std::string* error,
                                          PcapLinkType link = PcapLinkType::RawIp,
                                          std::size_t snaplen = kDefaultSnapLen);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one frame captured at virtual instant `t` (microseconds since the
  // virtual epoch become the record's seconds and microseconds). Frames
  // longer than the snap length are cut, keeping their original length.
  // Returns false once closed.
  bool write(Instant t, std::span<const std::uint8_t> frame);
  // Pushes buffered records to the file so that readers see them.
  void flush();
  // Flushes and closes the file; later writes are refused. Idempotent.
  void close();

  PcapLinkType link_type() const { return link_; }
  std::size_t snaplen() const { return snaplen_; }
  std::uint64_t frames_written() const { return frames_; }

 private:
  PcapWriter(pcap* handle, pcap_dumper* dumper, PcapLinkType link, std::size_t snaplen);

  pcap* handle_;
  pcap_dumper* dumper_;
  PcapLinkType link_;
  std::size_t snaplen_;
  std::uint64_t frames_ = 0;
};

}  // namespace synack::phy
