// The audit's outputs: the per-thread JSON, the hazard list, a text report and the SVG timeline.
#include <algorithm>
#include <cstdio>

#include "runtime/hex.h"
#include "tools/audit/audit.h"

namespace cannonball {
namespace {

enum Kind { Running = 0, IdleRunning = 5 };
constexpr const char* KindNames[] = {"running", "ready", "futex-wait", "yield/sleep", "exited", "idle turn"};
constexpr const char* KindColors[] = {"#2b8a3e", "#d0ebff", "#f08c00", "#ffd43b", "#868e96", "#ff8787"};

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

}  // namespace

void AuditObserver::add_interval(Word tid, int kind, Word from, Word to) {
  if (to <= from) return;
  const Word rel_from = from - start_step_, rel_to = to - start_step_;
  while (rel_to > bucket_width_ * config_.timeline_buckets) {
    bucket_width_ *= 2;
    for (auto& [id, buckets] : buckets_) {
      std::vector<std::array<Word, KindCount>> merged(config_.timeline_buckets);
      for (size_t i = 0; i < buckets.size(); ++i)
        for (int k = 0; k < KindCount; ++k) merged[i / 2][k] += buckets[i][k];
      buckets = std::move(merged);
    }
  }
  if (!buckets_.count(tid) && buckets_.size() >= config_.timeline_rows) tid = OtherRow;
  auto& buckets = buckets_[tid];
  if (buckets.empty()) buckets.resize(config_.timeline_buckets);
  for (Word b = rel_from / bucket_width_; b * bucket_width_ < rel_to && b < config_.timeline_buckets; ++b) {
    const Word lo = std::max(rel_from, b * bucket_width_), hi = std::min(rel_to, (b + 1) * bucket_width_);
    buckets[b][kind] += hi - lo;
  }
}

void AuditObserver::mark(Word tid, int kind, Word step) {
  if (kind == 2 && ++forced_marks_ > 20000) return;  // forced preemptions: enough to show the rhythm
  marks_.push_back({tid, step, kind});
}

Json AuditObserver::threads_json() const {
  Json threads = Json::array();
  for (const auto& [tid, a] : threads_) {
    Json lost_to = Json::object();
    for (const auto& [writer, count] : a.reservations_lost_to) lost_to[std::to_string(writer)] = count;
    threads.push_back({{"thread_id", tid},
                       {"steps", a.steps},
                       {"instructions", a.instructions},
                       {"turns", a.turns},
                       {"forced_preemptions", a.forced_preemptions},
                       {"voluntary_preemptions", a.voluntary_preemptions},
                       {"futex_waits_matched", a.futex_waits_matched},
                       {"futex_waits_mismatched", a.futex_waits_mismatched},
                       {"futex_wakes", a.futex_wakes},
                       {"yields", a.yields},
                       {"nanosleeps", a.nanosleeps},
                       {"clones", a.clones},
                       {"clone_steps", a.clone_steps},
                       {"created_step", a.created_step},
                       {"exit_step", a.exited ? Json(a.exit_step) : Json(nullptr)},
                       {"ll", a.lls[0]},
                       {"lld", a.lls[1]},
                       {"sc_success", a.ll_success[0]},
                       {"sc_fail", a.ll_fail[0]},
                       {"scd_success", a.ll_success[1]},
                       {"scd_fail", a.ll_fail[1]},
                       {"longest_ll_sc_steps", a.longest_ll_sc},
                       {"reservations_lost", a.reservations_lost},
                       {"reservations_lost_to", std::move(lost_to)},
                       {"longest_wait_between_turns", a.longest_wait}});
  }
  return threads;
}

Json AuditObserver::hazards_json() const {
  Json hazards = Json::array();
  for (const Hazard& h : hazards_)
    hazards.push_back({{"kind", h.kind},
                       {"first_step", h.first_step},
                       {"last_step", h.last_step},
                       {"threads", h.threads},
                       {"detail", h.detail}});
  return hazards;
}

Json AuditObserver::memory_release_json() const {
  const MemoryReleaseStats& m = memory_release_;
  Json out = {{"munmap", m.munmaps},
              {"madvise_dontneed", m.madvise_dontneed},
              {"madvise_other", m.madvise_other},
              {"mmap_at_address", m.mmap_at_address},
              {"stale_calls", m.stale_calls},
              {"stale_bytes", m.stale_bytes},
              {"stale_pages", m.stale_pages}};
  if (m.stale_calls != 0) {
    out["first_stale"] = {{"step", m.first_stale_step},           {"thread_id", m.first_stale_thread},
                          {"pc", hex_word(m.first_stale_pc)},     {"syscall", m.first_stale_syscall},
                          {"addr", hex_word(m.first_stale_addr)}, {"len", m.first_stale_len},
                          {"bytes", m.first_stale_bytes}};
    out["last_stale_step"] = m.last_stale_step;
  }
  out["stale_reads"] = m.stale_reads;
  out["stale_read_bytes"] = m.stale_read_bytes;
  if (m.stale_reads != 0)
    out["first_stale_read"] = {{"step", m.first_read_step},
                               {"thread_id", m.first_read_thread},
                               {"pc", hex_word(m.first_read_pc)},
                               {"opcode", m.first_read_opcode},
                               {"addr", hex_word(m.first_read_addr)},
                               {"word", hex_word(m.first_read_word)},
                               {"released_at_step", m.first_read_release_step},
                               {"released_by", m.first_read_release_syscall}};
  // The pcs with the most stale loads (at most 16), most first.
  std::vector<std::pair<Word, Word>> pcs(m.stale_reads_by_pc.begin(), m.stale_reads_by_pc.end());
  std::stable_sort(pcs.begin(), pcs.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (pcs.size() > 16) pcs.resize(16);
  Json by_pc = Json::array();
  for (const auto& [pc, loads] : pcs) by_pc.push_back({{"pc", hex_word(pc)}, {"loads", loads}});
  out["stale_reads_by_pc"] = std::move(by_pc);
  out["stale_read_pcs"] = m.stale_reads_by_pc.size();
  return out;
}

std::string AuditObserver::report_text() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%6s %12s %12s %8s %7s %7s %9s %7s %7s %7s %6s %9s %9s %10s %12s\n", "thread",
                "steps", "instr", "turns", "forced", "volunt", "fwait=/!=", "fwake", "yield", "sleep", "clone",
                "sc ok/fail", "scd ok/fl", "ll->sc max", "longest wait");
  out += line;
  for (const auto& [tid, a] : threads_) {
    char fw[32], sc[32], scd[32];
    std::snprintf(fw, sizeof fw, "%llu/%llu", (unsigned long long)a.futex_waits_matched,
                  (unsigned long long)a.futex_waits_mismatched);
    std::snprintf(sc, sizeof sc, "%llu/%llu", (unsigned long long)a.ll_success[0], (unsigned long long)a.ll_fail[0]);
    std::snprintf(scd, sizeof scd, "%llu/%llu", (unsigned long long)a.ll_success[1], (unsigned long long)a.ll_fail[1]);
    std::snprintf(line, sizeof line,
                  "%6llu %12llu %12llu %8llu %7llu %7llu %9s %7llu %7llu %7llu %6llu %9s %9s %10llu %12llu\n",
                  (unsigned long long)tid, (unsigned long long)a.steps, (unsigned long long)a.instructions,
                  (unsigned long long)a.turns, (unsigned long long)a.forced_preemptions,
                  (unsigned long long)a.voluntary_preemptions, fw, (unsigned long long)a.futex_wakes,
                  (unsigned long long)a.yields, (unsigned long long)a.nanosleeps, (unsigned long long)a.clones, sc, scd,
                  (unsigned long long)a.longest_ll_sc, (unsigned long long)a.longest_wait);
    out += line;
  }
  const MemoryReleaseStats& m = memory_release_;
  std::snprintf(line, sizeof line,
                "memory given back: munmap %llu, madvise(MADV_DONTNEED) %llu, mmap at an address %llu; "
                "left non-zero: %llu calls, %llu bytes in %llu pages; stale loads %llu (%llu bytes)\n",
                (unsigned long long)m.munmaps, (unsigned long long)m.madvise_dontneed,
                (unsigned long long)m.mmap_at_address, (unsigned long long)m.stale_calls,
                (unsigned long long)m.stale_bytes, (unsigned long long)m.stale_pages, (unsigned long long)m.stale_reads,
                (unsigned long long)m.stale_read_bytes);
  out += line;
  if (hazards_.empty()) {
    out += "hazards: none\n";
  } else {
    for (const Hazard& h : hazards_) {
      std::snprintf(line, sizeof line, "HAZARD %s steps %llu..%llu threads [", h.kind.c_str(),
                    (unsigned long long)h.first_step, (unsigned long long)h.last_step);
      out += line;
      for (size_t i = 0; i < h.threads.size(); ++i) out += (i ? "," : "") + std::to_string(h.threads[i]);
      out += "]: " + h.detail + "\n";
    }
  }
  return out;
}

std::string AuditObserver::timeline_svg(const std::string& title) const {
  const int label_w = 80, plot_w = static_cast<int>(config_.timeline_buckets), row_h = 16, top = 40;
  const int rows = static_cast<int>(buckets_.size());
  const int height = top + rows * row_h + 70;
  const int width = label_w + plot_w + 20;
  const Word span = std::max<Word>(1, last_step_ - start_step_);
  const double px_per_step =
      static_cast<double>(plot_w) / static_cast<double>(bucket_width_ * config_.timeline_buckets);
  const int used_w = std::max(1, static_cast<int>(static_cast<double>(span) * px_per_step + 0.5));
  std::string svg;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                width, height);
  svg += buf;
  svg += "<text x=\"4\" y=\"14\" font-size=\"13\">" + xml_escape(title) + "</text>\n";
  std::snprintf(buf, sizeof buf, "<text x=\"4\" y=\"30\">steps %llu..%llu, %llu steps per pixel column</text>\n",
                (unsigned long long)start_step_, (unsigned long long)last_step_, (unsigned long long)bucket_width_);
  svg += buf;
  int row = 0;
  std::map<Word, int> row_of;
  for (const auto& [tid, buckets] : buckets_) {
    row_of[tid] = row;
    const int y = top + row * row_h;
    if (tid == OtherRow)
      std::snprintf(buf, sizeof buf, "<text x=\"4\" y=\"%d\">others</text>\n", y + 12);
    else
      std::snprintf(buf, sizeof buf, "<text x=\"4\" y=\"%d\">thread %llu</text>\n", y + 12, (unsigned long long)tid);
    svg += buf;
    int run_start = -1, run_kind = -1;
    auto flush = [&](int end) {
      if (run_kind < 0) return;
      std::snprintf(buf, sizeof buf, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
                    KindNames[run_kind], label_w + run_start, y + 2, end - run_start, row_h - 4, KindColors[run_kind]);
      svg += buf;
    };
    for (int b = 0; b < plot_w; ++b) {
      int kind = -1;
      Word best = 0;
      for (int k = 0; k < KindCount; ++k)
        if (buckets[b][k] > best) best = buckets[b][k], kind = k;
      if (kind != run_kind) {
        flush(b);
        run_start = b;
        run_kind = kind;
      }
    }
    flush(plot_w);
    // A thin strip marks columns where the thread ran although another state dominates.
    for (int b = 0; b < plot_w; ++b) {
      const Word ran = buckets[b][Running] + buckets[b][IdleRunning];
      Word total = 0;
      for (int k = 0; k < KindCount; ++k) total += buckets[b][k];
      if (ran == 0 || 2 * ran >= total) continue;
      std::snprintf(buf, sizeof buf, "<rect class=\"ran\" x=\"%d\" y=\"%d\" width=\"1\" height=\"3\" fill=\"%s\"/>\n",
                    label_w + b, y + 2,
                    KindColors[buckets[b][IdleRunning] > buckets[b][Running] ? IdleRunning : Running]);
      svg += buf;
    }
    ++row;
  }
  // Marks: clone (triangle), exit (cross), forced preemption (tick), hazard (red ring).
  for (const Mark& m : marks_) {
    auto it = row_of.find(m.tid);
    if (it == row_of.end()) continue;
    const double x = label_w + static_cast<double>(m.step - start_step_) * px_per_step;
    const int y = top + it->second * row_h;
    static constexpr const char* Classes[] = {"clone", "exit", "forced", "hazard", "release"};
    if (m.kind == 0)
      std::snprintf(buf, sizeof buf, "<path class=\"%s\" d=\"M%.1f %d l3 5 h-6 z\" fill=\"#1864ab\"/>\n", Classes[0], x,
                    y + 2);
    else if (m.kind == 1)
      std::snprintf(buf, sizeof buf, "<path class=\"%s\" d=\"M%.1f %d l6 6 m0 -6 l-6 6\" stroke=\"black\"/>\n",
                    Classes[1], x - 3, y + 5);
    else if (m.kind == 2)
      std::snprintf(buf, sizeof buf,
                    "<line class=\"%s\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#495057\"/>\n", Classes[2],
                    x, y + row_h - 4, x, y + row_h - 1);
    else if (m.kind == 3)
      std::snprintf(
          buf, sizeof buf,
          "<circle class=\"%s\" cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"none\" stroke=\"red\" stroke-width=\"2\"/>\n",
          Classes[3], x, y + row_h / 2);
    else
      std::snprintf(buf, sizeof buf, "<path class=\"%s\" d=\"M%.1f %d l3 4 l-3 4 l-3 -4 z\" fill=\"#ae3ec9\"/>\n",
                    Classes[4], x, y);
    svg += buf;
  }
  for (const Hazard& h : hazards_) {
    const double x0 = label_w + static_cast<double>(h.first_step - start_step_) * px_per_step;
    const double x1 = label_w + static_cast<double>(h.last_step - start_step_) * px_per_step;
    std::snprintf(buf, sizeof buf,
                  "<rect class=\"hazard-range\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"red\" "
                  "fill-opacity=\"0.12\"><title>%s</title></rect>\n",
                  x0, top, std::max(1.0, x1 - x0), rows * row_h, xml_escape(h.kind + ": " + h.detail).c_str());
    svg += buf;
  }
  // Axis and legend.
  const int axis_y = top + rows * row_h + 14;
  for (int i = 0; i <= 4; ++i) {
    const int x = label_w + used_w * i / 4;
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%llu</text>\n", x, axis_y,
                  (unsigned long long)(start_step_ + span * static_cast<Word>(i) / 4));
    svg += buf;
  }
  int lx = 4;
  for (int k = 0; k < KindCount; ++k) {
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                  lx, axis_y + 14, KindColors[k], lx + 14, axis_y + 23, KindNames[k]);
    svg += buf;
    lx += 24 + 7 * static_cast<int>(std::char_traits<char>::length(KindNames[k]));
  }
  svg += "<text x=\"" + std::to_string(lx) + "\" y=\"" + std::to_string(axis_y + 23) +
         "\">▲ clone  ✕ exit  | forced preemption  ◯ hazard  <tspan fill=\"#ae3ec9\">◆</tspan> memory given back "
         "holding data</text>\n</svg>\n";
  return svg;
}

}  // namespace cannonball
