#pragma once
// The module's five link ids (0-4) and what it remembers about each link:
// whether it came from the server, whether its CONNECT was announced, the
// passive-mode +IPD bookkeeping and the idle time for AT+CIPSTO.
#include <array>
#include <memory>
#include <optional>

#include "apps/at_modem/link.hpp"
#include "core/time.hpp"

namespace synack::apps::at_modem {

struct LinkSlot {
  std::unique_ptr<Link> link;
  bool server_side = false;  // accepted by AT+CIPSERVER (tetype 1)
  bool announced = false;    // CONNECT (or +LINK_CONN) printed
  bool ipd_pending = false;  // passive mode: +IPD printed, not yet read
  Instant last_active{};     // data either way, for AT+CIPSTO
};

class LinkTable {
 public:
  static constexpr int kLinks = 5;

  LinkSlot& operator[](int id) { return slots_[static_cast<std::size_t>(id)]; }
  const LinkSlot& operator[](int id) const { return slots_[static_cast<std::size_t>(id)]; }
  bool used(int id) const { return slots_[static_cast<std::size_t>(id)].link != nullptr; }
  std::optional<int> lowest_free() const {
    for (int id = 0; id < kLinks; ++id)
      if (!used(id)) return id;
    return std::nullopt;
  }
  int count() const {
    int n = 0;
    for (int id = 0; id < kLinks; ++id)
      n += used(id) ? 1 : 0;
    return n;
  }
  int count_server_side() const {
    int n = 0;
    for (int id = 0; id < kLinks; ++id)
      n += used(id) && slots_[static_cast<std::size_t>(id)].server_side ? 1 : 0;
    return n;
  }
  // Closes the link (FIN) and frees the id.
  void release(int id) {
    LinkSlot& s = slots_[static_cast<std::size_t>(id)];
    if (s.link) s.link->close();
    s = LinkSlot{};
  }

 private:
  std::array<LinkSlot, kLinks> slots_;
};

}  // namespace synack::apps::at_modem
