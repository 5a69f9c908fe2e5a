#include "apps/ddns/rfc2136_message.hpp"

#include <ldns/ldns.h>

#include <memory>

namespace synack::apps::ddns {

namespace {

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

PktPtr make_update(const Rfc2136Spec& spec, wire::Ipv4Address addr, std::uint16_t id) {
  ldns_rdf* zone = ldns_dname_new_frm_str(spec.zone.c_str());
  ldns_rr_list* up = ldns_rr_list_new();
  // Delete the RRset: NAME 0 ANY A, no rdata.
  ldns_rr* del = ldns_rr_new();
  ldns_rr_set_owner(del, ldns_dname_new_frm_str(spec.name.c_str()));
  ldns_rr_set_ttl(del, 0);
  ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
  ldns_rr_set_type(del, LDNS_RR_TYPE_A);
  ldns_rr_list_push_rr(up, del);
  ldns_rr* add = nullptr;
  std::string text = spec.name + " " + std::to_string(spec.ttl) + " IN A " + addr.to_string();
  if (ldns_rr_new_frm_str(&add, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
    // Without the add the UPDATE would only delete the name's A records.
    ldns_rdf_deep_free(zone);
    ldns_rr_list_deep_free(up);
    return nullptr;
  }
  ldns_rr_list_push_rr(up, add);
  ldns_pkt* p = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, nullptr, up, nullptr);
  ldns_rr_list_deep_free(up);  // the packet holds copies (ldns_rr_list_clone)
  ldns_pkt_set_id(p, id);
  ldns_pkt_set_rd(p, false);  // RFC 2136 §2.2: no RD in an UPDATE
  return PktPtr(p);
}

std::vector<std::uint8_t> to_wire(ldns_pkt* p) {
  std::uint8_t* w = nullptr;
  std::size_t n = 0;
  if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK) return {};
  std::vector<std::uint8_t> out(w, w + n);
  LDNS_FREE(w);
  return out;
}

std::string rcode_name(ldns_pkt_rcode rc) {
  ldns_lookup_table* t = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rc));
  return t ? t->name : "RCODE" + std::to_string(static_cast<int>(rc));
}

std::string tsig_error_name(std::uint16_t e) {
  switch (e) {
    case 16:
      return "BADSIG";
    case 17:
      return "BADKEY";
    case 18:
      return "BADTIME";
    case 22:
      return "BADTRUNC";
    default:
      return std::to_string(e);
  }
}

}  // namespace

std::vector<std::uint8_t> build_rfc2136_update_unsigned(const Rfc2136Spec& spec,
                                                        wire::Ipv4Address addr, std::uint16_t id) {
  PktPtr p = make_update(spec, addr, id);
  return p ? to_wire(p.get()) : std::vector<std::uint8_t>{};
}

std::optional<Rfc2136Request> build_rfc2136_update(const Rfc2136Spec& spec, wire::Ipv4Address addr,
                                                   std::uint16_t id, std::string* err) {
  PktPtr p = make_update(spec, addr, id);
  if (!p) {
    *err = "cannot build the A record for " + spec.name;
    return std::nullopt;
  }
  ldns_status st = ldns_pkt_tsig_sign(p.get(), spec.key.name.c_str(), spec.key.secret.c_str(), 300,
                                      "hmac-sha256.", nullptr);
  if (st != LDNS_STATUS_OK) {
    *err = std::string("TSIG signing failed: ") + ldns_get_errorstr_by_id(st);
    return std::nullopt;
  }
  Rfc2136Request r;
  r.id = id;
  r.wire = to_wire(p.get());
  ldns_rr* tsig = ldns_pkt_tsig(p.get());
  if (tsig && ldns_rr_rd_count(tsig) > 3) {
    const ldns_rdf* mac = ldns_rr_rdf(tsig, 3);
    r.mac.assign(ldns_rdf_data(mac), ldns_rdf_data(mac) + ldns_rdf_size(mac));
  }
  if (r.wire.empty()) {
    *err = "cannot encode the UPDATE";
    return std::nullopt;
  }
  return r;
}

Rfc2136Answer read_rfc2136_answer(const Rfc2136Spec& spec, const Rfc2136Request& req,
                                  std::span<const std::uint8_t> answer) {
  Rfc2136Answer a;
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, answer.data(), answer.size()) != LDNS_STATUS_OK) return a;
  PktPtr p(raw);
  // RFC 2136 §3.8: the answer to an UPDATE is an UPDATE response (QR set,
  // the same ID and opcode); anything else is not ours.
  if (!ldns_pkt_qr(p.get()) || ldns_pkt_id(p.get()) != req.id ||
      ldns_pkt_get_opcode(p.get()) != LDNS_PACKET_UPDATE)
    return a;
  if (ldns_pkt_tc(p.get())) {
    a.matches = true;
    a.truncated = true;
    return a;
  }
  ldns_pkt_rcode rc = ldns_pkt_get_rcode(p.get());
  std::string detail = rcode_name(rc);
  ldns_rr* tsig = ldns_pkt_tsig(p.get());
  std::uint16_t terr = 0;
  std::size_t mac_len = 0;
  if (tsig && ldns_rr_rd_count(tsig) > 5) {
    terr = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
    if (terr != 0) detail += ", TSIG error " + tsig_error_name(terr);
    // The MAC rdata is length-prefixed (INT16_DATA): 2 means empty.
    mac_len = ldns_rdf_size(ldns_rr_rdf(tsig, 3));
  }
  // RFC 8945 §5.3.2: a BADSIG or BADKEY answer is sent unsigned (empty MAC)
  // with NOTAUTH; it is the one answer taken without a MAC. It says our key
  // is wrong, so forging it only stops updates that would fail anyway.
  bool unsigned_key_error =
      tsig && rc == LDNS_RCODE_NOTAUTH && (terr == 16 || terr == 17) && mac_len <= 2;
  if (!unsigned_key_error) {
    // RFC 8945 §5.4: an answer without a TSIG, or whose MAC does not verify,
    // is discarded and the client goes on waiting (it may be forged).
    bool ok = false;
    if (tsig) {
      ldns_rdf* mac =
          ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, req.mac.size(), req.mac.data());
      ok = mac && ldns_pkt_tsig_verify(p.get(), answer.data(), answer.size(), spec.key.name.c_str(),
                                       spec.key.secret.c_str(), mac);
      if (mac) ldns_rdf_deep_free(mac);
    }
    if (!ok) {
      a.ignored = detail + (tsig ? ", its TSIG does not verify" : ", unsigned");
      return a;
    }
  }
  a.matches = true;
  UpdateResult& r = a.result;
  r.detail = detail;
  switch (rc) {
    case LDNS_RCODE_NOERROR:
      r.outcome = UpdateOutcome::Good;
      break;
    case LDNS_RCODE_NOTAUTH:
      // RFC 8945 §5.2.3: BADTIME means the clocks differ by more than the
      // fudge (a router without a battery-backed clock, before NTP): try
      // again later rather than give up until the address changes.
      r.outcome = terr == 18 ? UpdateOutcome::Transient : UpdateOutcome::Fatal;
      break;
    case LDNS_RCODE_REFUSED:
    case LDNS_RCODE_NOTZONE:
    case LDNS_RCODE_FORMERR:
    case LDNS_RCODE_NOTIMPL:
      r.outcome = UpdateOutcome::Fatal;
      break;
    default:
      r.outcome = UpdateOutcome::Transient;
      break;
  }
  return a;
}

}  // namespace synack::apps::ddns
