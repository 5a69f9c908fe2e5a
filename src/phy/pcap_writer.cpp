#include "phy/pcap_writer.hpp"

#include <pcap/pcap.h>

#include <algorithm>

namespace synack::phy {

PcapWriter::PcapWriter(pcap* handle, pcap_dumper* dumper, PcapLinkType link, std::size_t snaplen)
    : handle_(handle), dumper_(dumper), link_(link), snaplen_(snaplen) {}

std::unique_ptr<PcapWriter> PcapWriter::open(const std::string& path, std::string* error,
                                             PcapLinkType link, std::size_t snaplen) {
  // DLT_RAW is written to the file as LINKTYPE_RAW (IPv4 or IPv6 by the
  // version nibble), which keeps the same writer usable once IPv6 arrives.
  const int dlt = link == PcapLinkType::Ethernet ? DLT_EN10MB : DLT_RAW;
  snaplen = std::clamp<std::size_t>(snaplen, 1, 262144);
  pcap_t* handle = pcap_open_dead(dlt, static_cast<int>(snaplen));
  if (handle == nullptr) {
    if (error) *error = "pcap_open_dead failed";
    return nullptr;
  }
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    if (error) *error = std::string("cannot open pcap file: ") + pcap_geterr(handle);
    pcap_close(handle);
    return nullptr;
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(handle, dumper, link, snaplen));
}

PcapWriter::~PcapWriter() {
  close();
}

bool PcapWriter::write(Instant t, std::span<const std::uint8_t> frame) {
  if (dumper_ == nullptr) return false;
  // Virtual time starts at the epoch; a negative instant would make no sense
  // to readers, so it is shown as 0.
  const std::int64_t us = std::max<std::int64_t>(to_us(t), 0);
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<decltype(hdr.ts.tv_sec)>(us / 1'000'000);
  hdr.ts.tv_usec = static_cast<decltype(hdr.ts.tv_usec)>(us % 1'000'000);
  hdr.caplen = static_cast<bpf_u_int32>(std::min(frame.size(), snaplen_));
  hdr.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, frame.data());
  ++frames_;
  return true;
}

void PcapWriter::flush() {
  if (dumper_ != nullptr) pcap_dump_flush(dumper_);
}

void PcapWriter::close() {
  if (dumper_ != nullptr) {
    pcap_dump_close(dumper_);  // flushes
    dumper_ = nullptr;
  }
  if (handle_ != nullptr) {
    pcap_close(handle_);
    handle_ = nullptr;
  }
}

}  // namespace synack::phy
