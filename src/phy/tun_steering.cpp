#include "phy/tun_steering.hpp"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace synack::phy {
namespace {

constexpr std::uint32_t kGolden = 0x9E3779B1u;

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// The program as in the header's comment. LD_ABS and LD_IND read the packet
// (from its IPv4 header: a TUN has no link header) in network byte order,
// handing back host order, and end the program with 0 when it is too short.
// They need the context in r6 and clobber r1-r5; r7-r9 keep their values.
std::vector<bpf_insn> assemble(const SteeringRule& rule) {
  constexpr std::uint8_t ld_abs_b = BPF_LD | BPF_ABS | BPF_B, ld_abs_h = BPF_LD | BPF_ABS | BPF_H,
                         ld_abs_w = BPF_LD | BPF_ABS | BPF_W, ld_ind_h = BPF_LD | BPF_IND | BPF_H;
  constexpr std::uint8_t mov64_x = BPF_ALU64 | BPF_MOV | BPF_X,
                         mov64_k = BPF_ALU64 | BPF_MOV | BPF_K;
  constexpr std::uint8_t exit_op = BPF_JMP | BPF_EXIT;
  std::vector<bpf_insn> p;
  std::vector<std::size_t> to_zero;  // jumps to the final "return 0"
  auto jump_to_zero = [&](std::uint8_t code, std::int32_t imm) {
    to_zero.push_back(p.size());
    p.push_back(insn(code, 0, 0, 0, imm));
  };
  p.push_back(insn(mov64_x, 6, 1, 0, 0));
  p.push_back(insn(ld_abs_b, 0, 0, 0, 0));  // version and IHL
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 0, 4));
  jump_to_zero(BPF_JMP | BPF_JNE | BPF_K, 4);
  p.push_back(insn(ld_abs_b, 0, 0, 0, 9));                   // protocol
  p.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 6));  // TCP
  jump_to_zero(BPF_JMP | BPF_JNE | BPF_K, 17);               // nor UDP
  p.push_back(insn(ld_abs_h, 0, 0, 0, 6));                   // MF and fragment offset
  jump_to_zero(BPF_JMP | BPF_JSET | BPF_K, 0x3fff);
  p.push_back(insn(ld_abs_b, 0, 0, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0, 0xf));
  p.push_back(insn(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 0, 2));  // header length
  p.push_back(insn(mov64_x, 7, 0, 0, 0));
  p.push_back(insn(ld_ind_h, 0, 7, 0, 0));  // source port
  p.push_back(insn(mov64_x, 8, 0, 0, 0));
  p.push_back(insn(ld_ind_h, 0, 7, 0, 2));  // destination port: ours
  p.push_back(insn(mov64_x, 9, 0, 0, 0));
  if (rule.port_chunk != 0) {
    std::int32_t span = std::int32_t(rule.port_chunk) * rule.queues;
    p.push_back(insn(BPF_ALU | BPF_SUB | BPF_K, 0, 0, 0, rule.port_first));
    // Below port_first wraps to a large number: not in the range either.
    p.push_back(insn(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 2, span));
    p.push_back(insn(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0, rule.port_chunk));
    p.push_back(insn(exit_op, 0, 0, 0, 0));
  }
  // Fibonacci hashing: the top 16 bits of k * kGolden mix every bit of k;
  // scaled to [0, queues) by multiply and shift (the kernel's modulo then
  // changes nothing).
  p.push_back(insn(BPF_ALU | BPF_LSH | BPF_K, 9, 0, 0, 16));
  p.push_back(insn(BPF_ALU | BPF_OR | BPF_X, 9, 8, 0, 0));
  p.push_back(insn(ld_abs_w, 0, 0, 0, 12));  // source address
  p.push_back(insn(BPF_ALU | BPF_XOR | BPF_X, 0, 9, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0, static_cast<std::int32_t>(kGolden)));
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 0, 16));
  p.push_back(insn(BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0, rule.queues));
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 0, 16));
  p.push_back(insn(exit_op, 0, 0, 0, 0));
  std::size_t zero = p.size();
  p.push_back(insn(mov64_k, 0, 0, 0, 0));
  p.push_back(insn(exit_op, 0, 0, 0, 0));
  for (std::size_t j : to_zero)
    p[j].off = static_cast<std::int16_t>(zero - j - 1);
  return p;
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

}  // namespace

std::size_t steering_hash_queue(std::uint32_t src_addr, std::uint16_t src_port,
                                std::uint16_t dst_port, std::uint16_t queues) {
  std::uint32_t k = src_addr ^ ((std::uint32_t(dst_port) << 16) | src_port);
  return (((k * kGolden) >> 16) * queues) >> 16;
}

std::size_t steering_queue(const SteeringRule& rule, std::span<const std::uint8_t> packet) {
  std::size_t n = rule.queues == 0 ? 1 : rule.queues;
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return 0;
  if (packet[9] != 6 && packet[9] != 17) return 0;
  if (get16(packet, 6) & 0x3fff) return 0;
  std::size_t ihl = std::size_t(packet[0] & 0xf) * 4;
  if (packet.size() < ihl + 4) return 0;
  std::uint16_t sport = get16(packet, ihl), dport = get16(packet, ihl + 2);
  if (rule.port_chunk != 0) {
    std::uint32_t off = std::uint32_t(dport) - rule.port_first;
    if (off < std::uint32_t(rule.port_chunk) * rule.queues)
      return static_cast<std::uint16_t>(off / rule.port_chunk) % n;
  }
  std::uint32_t src = (std::uint32_t(packet[12]) << 24) | (std::uint32_t(packet[13]) << 16) |
                      (std::uint32_t(packet[14]) << 8) | packet[15];
  return steering_hash_queue(src, sport, dport, static_cast<std::uint16_t>(n));
}

Result<int, std::string> load_steering_program(const SteeringRule& rule) {
  std::vector<bpf_insn> prog = assemble(rule);
  static const char kLicense[] = "GPL";
  std::vector<char> log(16384);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = static_cast<std::uint32_t>(prog.size());
  attr.insns = reinterpret_cast<std::uintptr_t>(prog.data());
  attr.license = reinterpret_cast<std::uintptr_t>(kLicense);
  attr.log_level = 1;
  attr.log_size = static_cast<std::uint32_t>(log.size());
  attr.log_buf = reinterpret_cast<std::uintptr_t>(log.data());
  long fd = ::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd < 0) {
    if (errno == EPERM || errno == EACCES)
      return std::string(
          "cannot load the TUN steering program: permission denied (root or CAP_BPF is "
          "needed for --cores)");
    std::string why = std::system_category().message(errno);
    std::string text(log.data(), ::strnlen(log.data(), log.size()));
    if (!text.empty()) why += " (" + text.substr(0, 200) + ")";
    for (char& ch : why)
      if (ch == '\n') ch = ' ';
    return "cannot load the TUN steering program: " + why;
  }
  return static_cast<int>(fd);
}

}  // namespace synack::phy
