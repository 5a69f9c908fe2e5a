#include "serve_cores.hpp"

#include <fmt/format.h>
#include <csignal>
#include <cstdio>

#include "apps/http/http_server.hpp"
#include "apps/http/site_handler.hpp"
#include "runtime/cores.hpp"
#include "socket/tcp_listener.hpp"
#include "tcp/tcp_layer.hpp"
#include "tcp_info_format.hpp"

namespace synack::tools {
namespace {

// What one core runs besides its stack: the listener and the application.
struct ServeCore {
  NetCore net;
  int cpu = 0;
  socket::TcpListener listener;
  std::unique_ptr<ServedConnections> served;
  std::unique_ptr<apps::http::HttpServer> http;
  bool failed = false;  // the TUN queue reported an error
};

// A core's part of the SIGUSR1 table, made on its own thread.
struct CoreSnapshot {
  std::string table;
  phy::TunCounters counters;
};

std::string core_table(const ServeCore& c, std::uint16_t port) {
  socket::Stack& stack = *c.net.stack;
  // resets_sent counts segments that matched no connection or listener:
  // with a flow steered to a core that does not own it, they would show.
  const tcp::TcpLayerCounters& t = stack.tcp().counters();
  return fmt::format("core {} cpu {}: segments_in {} segments_out {} resets_sent {}\n", c.net.index,
                     c.cpu, t.segments_in, t.segments_out, t.resets_sent) +
         "LISTEN       " + stack.interface().address().to_string() + ":" + std::to_string(port) +
         " 0.0.0.0:*\n\t " + format_listener(c.listener.listener()) + "\n" +
         connection_dump(stack) + (c.http ? c.http->report() : std::string());
}

// The merged table: every core's part, then a device line per queue and
// their sum. A core that did not answer within a second is named.
std::string merged_table(const std::vector<std::unique_ptr<ServeCore>>& cores,
                         const std::vector<std::optional<CoreSnapshot>>& parts) {
  std::string out;
  phy::TunCounters sum;
  std::string devices;
  const phy::TunDevice& q0 = *cores[0]->net.dev;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i]) {
      out += "core " + std::to_string(i) + " did not answer\n";
      continue;
    }
    out += parts[i]->table;
    devices += device_stats_line(q0.name(), q0.offload(), parts[i]->counters,
                                 "core " + std::to_string(i) + " ") +
               "\n";
    add_counters(sum, parts[i]->counters);
  }
  return out + devices + device_stats_line(q0.name(), q0.offload(), sum) + "\n";
}

// Core i's thread: serve until stopped, then close gracefully, as serve
// does on one core.
void run_core(ServeCore& c, runtime::CoreReports<CoreSnapshot>& reports, std::uint16_t port,
              runtime::SignalWaiter& waiter) {
  runtime::EventLoop& loop = *c.net.loop;
  socket::Stack& stack = *c.net.stack;
  loop.every(std::chrono::milliseconds(10), [&] {
    c.served->tick(stack.now());
    if (c.http) c.http->tick();
    reports.answer(c.net.index, [&] {
      return CoreSnapshot{core_table(c, port), c.net.dev->counters()};
    });
  });
  loop.run_until([] { return false; });  // until the signal thread stops it
  if (loop.device_failed()) {
    c.failed = true;
    waiter.wake();
  }
  c.listener.close();
  c.served->close_all();
  if (c.http) c.http->close_all();
  auto all_closed = [&] { return c.served->all_closed() && (!c.http || c.http->all_closed()); };
  auto deadline = loop.now() + std::chrono::seconds(2);
  loop.every(std::chrono::milliseconds(10), [&] {
    c.served->tick(stack.now());
    if (c.http) c.http->tick();
    if (all_closed() || loop.now() >= deadline) loop.stop();
  });
  if (!all_closed()) loop.run_for(std::chrono::seconds(2));
  loop.drain(std::chrono::seconds(1));
  if (c.http) c.http->tick();
}

}  // namespace

int run_serve_cores(const ServeArgs& a, const AppSpec& spec, std::uint16_t port,
                    const HttpServeSetup& http_setup) {
  const auto n = static_cast<std::size_t>(a.cores);
  int code = 0;
  auto nets = open_net_cores("serve", a.net, n, /*own_ports=*/false, code);
  if (nets.empty()) return code;
  runtime::CoreThreads threads;
  std::vector<std::unique_ptr<ServeCore>> cores;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = std::make_unique<ServeCore>();
    c->net = std::move(nets[i]);
    c->cpu = threads.cpu_for(i);
    socket::Stack& stack = *c->net.stack;
    auto listener = stack.listen(port, c->net.cfg);
    if (!listener) {
      std::fprintf(stderr, "synack serve: error: cannot listen on port %u: %s\n", port,
                   std::string(socket::to_string(listener.error())).c_str());
      return 1;
    }
    c->listener = std::move(*listener);
    c->served = std::make_unique<ServedConnections>(spec);
    if (spec.kind == AppSpec::Kind::Http)
      c->http = std::make_unique<apps::http::HttpServer>(
          stack, apps::http::make_site_handler(http_setup.files), http_setup.config);
    if (spec.kind != AppSpec::Kind::Hold) {
      ServeCore* p = c.get();
      p->listener.on_acceptable([p] {
        while (auto s = p->listener.accept()) {
          if (p->http) {
            p->http->adopt(std::move(*s));
          } else {
            p->served->adopt(std::move(*s), p->net.stack->now());
          }
        }
      });
    }
    cores.push_back(std::move(c));
  }
  if (http_setup.config.tls)
    std::fprintf(stderr, "synack serve: TLS certificate%s, SHA-256 fingerprint %s\n",
                 http_setup.self_signed ? " (self-signed)" : "", http_setup.fingerprint.c_str());

  // Blocked here, before the core threads exist, so that only this thread
  // sees them: it stops every loop (EventLoop::stop is thread-safe) and
  // gathers the SIGUSR1 table.
  runtime::SignalWaiter waiter({SIGINT, SIGTERM, SIGUSR1});
  runtime::CoreReports<CoreSnapshot> reports(n);
  std::printf("ready %s:%u\n", cores[0]->net.stack->interface().address().to_string().c_str(),
              port);
  std::fflush(stdout);
  threads.start(n, [&](std::size_t i) { run_core(*cores[i], reports, port, waiter); });
  while (true) {
    auto sig = waiter.wait();
    if (!sig || *sig != SIGUSR1) break;  // SIGINT, SIGTERM, or a core failed
    auto gen = reports.request();
    std::string text = merged_table(cores, reports.collect(gen, std::chrono::seconds(1)));
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  }
  // A SIGUSR1 still pending would end the process once the waiter
  // unblocks it at exit: ignore (and so discard) it from here on.
  std::signal(SIGUSR1, SIG_IGN);
  for (auto& c : cores)
    c->net.loop->stop();
  threads.join();

  // The threads are joined: their stacks can be read from here.
  bool failed = false;
  std::vector<const phy::TunDevice*> queues;
  std::vector<const socket::Stack*> stacks;
  for (auto& c : cores) {
    failed = failed || c->failed;
    queues.push_back(c->net.dev.get());
    stacks.push_back(c->net.stack.get());
    if (c->http) std::fputs(c->http->report().c_str(), stderr);
  }
  if (a.net.stats)
    std::fputs((cores_device_report(queues) + cores_buffer_report(stacks)).c_str(), stderr);
  if (failed) {
    std::fprintf(stderr, "synack serve: error: the TUN device failed\n");
    return 1;
  }
  return 0;
}

}  // namespace synack::tools
