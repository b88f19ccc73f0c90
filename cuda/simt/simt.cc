// The SIMT emulator (simt.h): a pool of host threads runs the CUDA threads of one block at a time; barriers and
// warp collectives meet under one block lock, which lets every wait check who is missing and why.
#include "simt.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(SS_SIMT_TSAN)
// ThreadSanitizer's annotation interface (part of its runtime): the block lock must not order the CUDA threads
// (that would hide a missing barrier), so its synchronisation is ignored, and the edges CUDA promises are declared.
extern "C" void AnnotateIgnoreSyncBegin(const char* file, int line);
extern "C" void AnnotateIgnoreSyncEnd(const char* file, int line);
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace simt {

thread_local ThreadContext tls;

namespace {

#if defined(SS_SIMT_TSAN)
struct Quiet {
  Quiet() { AnnotateIgnoreSyncBegin(__FILE__, __LINE__); }
  ~Quiet() { AnnotateIgnoreSyncEnd(__FILE__, __LINE__); }
};
void happens_before(void* token) { __tsan_release(token); }
void happens_after(void* token) { __tsan_acquire(token); }
#else
struct Quiet {
  Quiet() {}  // user-provided: a scope guard, not an unused variable
};
void happens_before(void*) {}
void happens_after(void*) {}
#endif

/** Thrown inside a CUDA thread to unwind its kernel after a violation (caught by the thread's runner). */
struct Abort {};

constexpr uint32_t MAX_BLOCK_THREADS = 1024;
constexpr size_t MAX_DYNAMIC_SHARED = 227 * 1024;  // the opt-in maximum of sm_90

enum State : int { RUNNING = 0, AT_BARRIER = 1, AT_WARP = 2, EXITED = 3 };
enum CollectiveKind : int { C_SHFL_IDX = 0, C_SHFL_XOR = 1, C_SHFL_DOWN = 2, C_SHFL_UP = 3, C_BALLOT = 4, C_SYNCWARP = 5 };
enum BarrierKind : int { B_PLAIN = 0, B_OR = 1, B_COUNT = 2 };

const char* collective_name(int k) {
  static const char* names[] = {"__shfl_sync", "__shfl_xor_sync", "__shfl_down_sync", "__shfl_up_sync", "__ballot_sync",
                                "__syncwarp"};
  return names[k];
}
const char* barrier_name(int k) {
  static const char* names[] = {"__syncthreads", "__syncthreads_or", "__syncthreads_count"};
  return names[k];
}

std::string where(Site s) {
  const char* f = s.file;
  for (const char* p = s.file; *p; p++)
    if (*p == '/') f = p + 1;
  return std::string(f) + ":" + std::to_string(s.line);
}
bool same_site(Site a, Site b) { return a.line == b.line && std::strcmp(a.file, b.file) == 0; }
std::string hex(unsigned x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", x);
  return buf;
}

/** A warp collective being formed by the lanes of one mask. */
struct Collective {
  unsigned mask = 0;
  int kind = 0;
  Site site{"", 0};
  unsigned arrived = 0;
  uint64_t bits[32] = {};
  int arg[32] = {};
  int width[32] = {};
};

/**
 * No allocation happens while CUDA threads run (TSan sees the allocator's frees as writes, and the block lock is
 * hidden from it): collectives live in a fixed array (at most 32 disjoint masks per warp), tokens are indexed.
 */
struct Warp {
  Collective forming[32];
  uint32_t nforming = 0;
  uint64_t result[32] = {};
  bool pending[32] = {};
  char tokens[32][2] = {};  // __syncwarp happens-before tokens by the mask's lowest lane and call parity (TSan build)
};

struct Block {
  std::mutex m;
  std::unique_ptr<std::condition_variable[]> cv;  // one per thread: a completion wakes exactly the threads it releases
  uint32_t n = 0;
  uint32_t running = 0;
  std::vector<int> state;
  std::vector<Site> at;
  std::vector<std::array<uint32_t, 32>> syncwarps;  // per thread: __syncwarp calls by the mask's lowest lane (parity)
  // the block barrier
  uint32_t bar_arrived = 0;
  Site bar_site{"", 0};
  int bar_kind = 0;
  int bar_acc = 0;
  int bar_result = 0;
  uint64_t bar_gen = 0;
  char bar_token[2] = {};
  std::vector<Warp> warps;
  bool failed = false;
  std::string error;
  std::vector<uint64_t> dynamic;  // dynamic shared memory, 8-byte (and 16-byte via operator new) aligned
};

thread_local Block* t_block = nullptr;
thread_local uint32_t t_tid = 0;
std::mutex g_stats_mutex;
uint64_t g_threads_run = 0;

std::string thread_name(const Block&, uint32_t t) {
  return "thread " + std::to_string(t) + " (warp " + std::to_string(t >> 5) + " lane " + std::to_string(t & 31u) + ")";
}

/** Records the first violation and wakes everyone (they unwind at their next wait). Caller holds b.m. */
void record_failure(Block& b, const std::string& msg) {
  if (!b.failed) {
    b.failed = true;
    b.error = msg;
  }
  for (uint32_t t = 0; t < b.n; t++) b.cv[t].notify_one();
}

[[noreturn]] void fail(Block& b, const std::string& msg) {
  record_failure(b, msg);
  throw Abort{};
}

/** Ranges of thread ids, "0-95, 97". */
std::string ranges(const std::vector<uint32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) j++;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

/** Nobody runs but someone waits: say who waits where and who is gone. Caller holds b.m. */
void check_deadlock(Block& b) {
  if (b.running != 0 || b.failed) return;
  bool waiting = false;
  for (int s : b.state) waiting |= s == AT_BARRIER || s == AT_WARP;
  if (!waiting) return;
  std::map<std::string, std::vector<uint32_t>> groups;
  for (uint32_t t = 0; t < b.n; t++) {
    std::string key;
    if (b.state[t] == AT_BARRIER) key = "waiting at " + std::string(barrier_name(b.bar_kind)) + " " + where(b.at[t]);
    else if (b.state[t] == AT_WARP) key = "waiting in a warp collective at " + where(b.at[t]);
    else key = "exited";
    groups[key].push_back(t);
  }
  std::string msg = "deadlock: no thread can proceed;";
  for (auto& g : groups) msg += " " + g.first + ": threads " + ranges(g.second) + ";";
  for (uint32_t w = 0; w < b.warps.size(); w++)
    for (uint32_t i = 0; i < b.warps[w].nforming; i++) {
      const Collective& c = b.warps[w].forming[i];
      msg += " warp " + std::to_string(w) + " " + collective_name(c.kind) + " at " + where(c.site) + " with mask " + hex(c.mask) +
             " is missing lanes " + hex(c.mask & ~c.arrived) + ";";
    }
  record_failure(b, msg);
}

/** Waits (the caller is counted as not running) until done() or a failure; unwinds on failure. */
template <typename Pred>
void block_wait(Block& b, uint32_t me, std::unique_lock<std::mutex>& lk, Pred done) {
  b.running--;
  check_deadlock(b);
  b.cv[me].wait(lk, [&] { return done() || b.failed; });
  if (!done()) throw Abort{};
}

int barrier(Site s, int kind, int pred) {
  Block& b = *t_block;
  const uint32_t me = t_tid;
  uint64_t gen;
  {
    Quiet q;
    std::lock_guard<std::mutex> lk(b.m);
    gen = b.bar_gen;  // cannot advance before this thread arrives
  }
  happens_before(&b.bar_token[gen & 1]);
  int result;
  {
    Quiet q;
    std::unique_lock<std::mutex> lk(b.m);
    if (b.failed) throw Abort{};
    for (uint32_t t = 0; t < b.n; t++)
      if (b.state[t] == EXITED)
        fail(b, std::string(barrier_name(kind)) + " at " + where(s) + ": " + thread_name(b, t) +
                    " has exited and can never arrive (a barrier in code that not every thread of the block reaches)");
    if (b.bar_arrived == 0) {
      b.bar_site = s;
      b.bar_kind = kind;
      b.bar_acc = 0;
    } else if (!same_site(b.bar_site, s) || b.bar_kind != kind) {
      fail(b, "divergent barriers: " + thread_name(b, me) + " is at " + barrier_name(kind) + " " + where(s) + " while " +
                  std::to_string(b.bar_arrived) + " threads wait at " + barrier_name(b.bar_kind) + " " + where(b.bar_site));
    }
    b.bar_arrived++;
    if (kind == B_OR) b.bar_acc |= pred != 0;
    if (kind == B_COUNT) b.bar_acc += pred != 0;
    if (b.bar_arrived == b.n) {
      b.bar_result = b.bar_acc;
      b.bar_arrived = 0;
      b.bar_gen++;
      for (uint32_t t = 0; t < b.n; t++)
        if (b.state[t] == AT_BARRIER) {
          b.state[t] = RUNNING;
          b.running++;
          b.cv[t].notify_one();
        }
      result = b.bar_result;
    } else {
      b.state[me] = AT_BARRIER;
      b.at[me] = s;
      block_wait(b, me, lk, [&] { return b.bar_gen != gen; });
      result = b.bar_result;  // the next barrier cannot complete before this thread reaches it
    }
  }
  happens_after(&b.bar_token[gen & 1]);
  return result;
}

/** Source lane of a shuffle (CUDA's rules for width segments); returns lane itself when it reads its own value. */
uint32_t shuffle_source(int kind, uint32_t lane, int arg, int width) {
  const uint32_t w = static_cast<uint32_t>(width);
  const uint32_t seg = lane & ~(w - 1);
  const uint32_t a = static_cast<uint32_t>(arg);
  switch (kind) {
    case C_SHFL_IDX: return seg + (a & (w - 1));
    case C_SHFL_XOR: {
      const uint32_t src = lane ^ (a & 31u);
      return src >= seg + w ? lane : src;
    }
    case C_SHFL_DOWN: return (lane & (w - 1)) + a >= w ? lane : lane + a;
    default: return (lane & (w - 1)) < a ? lane : lane - a;
  }
}

uint64_t collective(Site s, int kind, unsigned mask, uint64_t bits, int arg, int width) {
  Block& b = *t_block;
  const uint32_t me = t_tid;
  const uint32_t lane = me & 31u, w = me >> 5;
  void* token = nullptr;
  if (kind == C_SYNCWARP) {
    Quiet q;
    std::lock_guard<std::mutex> lk(b.m);
    const uint32_t low = mask ? static_cast<uint32_t>(__builtin_ctz(mask)) : 0;
    token = &b.warps[w].tokens[low][b.syncwarps[me][low]++ & 1];
  }
  if (token) happens_before(token);
  uint64_t result;
  {
    Quiet q;
    std::unique_lock<std::mutex> lk(b.m);
    if (b.failed) throw Abort{};
    const std::string call = std::string(collective_name(kind)) + " at " + where(s) + " by " + thread_name(b, me);
    const uint32_t lanes = std::min<uint32_t>(32, b.n - w * 32);
    const unsigned valid = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1);
    if (((mask >> lane) & 1u) == 0) fail(b, call + ": the mask " + hex(mask) + " does not name the calling lane");
    if (mask & ~valid) fail(b, call + ": the mask " + hex(mask) + " names lanes " + hex(mask & ~valid) + " that do not exist in this warp");
    if (kind <= C_SHFL_UP && (width < 1 || width > 32 || (width & (width - 1)) != 0))
      fail(b, call + ": width " + std::to_string(width) + " is not a power of two ≤ 32");
    for (uint32_t l = 0; l < lanes; l++)
      if (((mask >> l) & 1u) && b.state[w * 32 + l] == EXITED)
        fail(b, call + ": the mask " + hex(mask) + " names lane " + std::to_string(l) + ", which has exited");
    Warp& wp = b.warps[w];
    Collective* c = nullptr;
    for (uint32_t i = 0; i < wp.nforming; i++) {
      Collective& f = wp.forming[i];
      if (f.mask == mask) c = &f;
      else if (f.mask & mask)
        fail(b, call + ": the mask " + hex(mask) + " overlaps the mask " + hex(f.mask) + " of " + collective_name(f.kind) + " at " +
                    where(f.site) + " that lanes " + hex(f.arrived) + " wait in");
    }
    if (c == nullptr) {
      c = &wp.forming[wp.nforming++];  // masks are disjoint and non-empty: at most 32
      *c = Collective{};
      c->mask = mask;
      c->kind = kind;
      c->site = s;
    } else if (c->kind != kind || !same_site(c->site, s)) {
      fail(b, call + " with mask " + hex(mask) + ": lanes " + hex(c->arrived) + " of the same mask wait in " + collective_name(c->kind) +
                  " at " + where(c->site) + " (divergent collectives)");
    }
    c->bits[lane] = bits;
    c->arg[lane] = arg;
    c->width[lane] = width;
    c->arrived |= 1u << lane;
    if (c->arrived == mask) {
      unsigned ballot_bits = 0;
      for (uint32_t l = 0; l < 32; l++)
        if (((mask >> l) & 1u) && c->bits[l] != 0) ballot_bits |= 1u << l;
      for (uint32_t l = 0; l < 32; l++) {
        if (((mask >> l) & 1u) == 0) continue;
        uint64_t r = 0;
        if (kind <= C_SHFL_UP) {
          const uint32_t src = shuffle_source(kind, l, c->arg[l], c->width[l]);
          if (src != l && (src >= 32 || ((mask >> src) & 1u) == 0))
            fail(b, std::string(collective_name(kind)) + " at " + where(s) + " in warp " + std::to_string(w) + ": lane " +
                        std::to_string(l) + " reads lane " + std::to_string(src) + ", which the mask " + hex(mask) +
                        " does not name (an undefined value on a device)");
          r = c->bits[src];
        } else if (kind == C_BALLOT) {
          r = ballot_bits;
        }
        wp.result[l] = r;
        if (l != lane && wp.pending[l]) {
          wp.pending[l] = false;
          b.state[w * 32 + l] = RUNNING;
          b.running++;
          b.cv[w * 32 + l].notify_one();
        }
      }
      result = wp.result[lane];
      *c = wp.forming[--wp.nforming];  // remove: the last one takes its slot
    } else {
      wp.pending[lane] = true;
      b.state[me] = AT_WARP;
      b.at[me] = s;
      block_wait(b, me, lk, [&] { return !wp.pending[lane]; });
      result = wp.result[lane];
    }
  }
  if (token) happens_after(token);
  return result;
}

/** The calling CUDA thread has returned (or unwound): waits for it can no longer be met. */
void thread_exit(Block& b, uint32_t me) {
  Quiet q;
  std::lock_guard<std::mutex> lk(b.m);
  b.state[me] = EXITED;
  b.running--;
  if (b.failed) return;
  if (b.bar_arrived > 0) {
    record_failure(b, thread_name(b, me) + " exited without reaching " + barrier_name(b.bar_kind) + " at " + where(b.bar_site) +
                          ", where " + std::to_string(b.bar_arrived) + " of " + std::to_string(b.n) + " threads wait");
    return;
  }
  const uint32_t w = me >> 5, lane = me & 31u;
  for (uint32_t i = 0; i < b.warps[w].nforming; i++) {
    const Collective& c = b.warps[w].forming[i];
    if ((c.mask >> lane) & 1u) {
      record_failure(b, thread_name(b, me) + " exited, but lanes " + hex(c.arrived) + " wait for it in " + collective_name(c.kind) +
                            " at " + where(c.site) + " with mask " + hex(c.mask));
      return;
    }
  }
  check_deadlock(b);
}

/** Host threads reused across blocks: thread i runs CUDA thread i of every block. */
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    go_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void run(uint32_t count, const std::function<void(uint32_t)>& job) {
    std::unique_lock<std::mutex> lk(m_);
    while (threads_.size() < count) {
      const uint32_t i = static_cast<uint32_t>(threads_.size());
      threads_.emplace_back([this, i] { worker(i); });
    }
    job_ = &job;
    want_ = count;
    done_ = 0;
    gen_++;
    go_.notify_all();
    done_cv_.wait(lk, [&] { return done_ == want_; });
    job_ = nullptr;
  }

 private:
  void worker(uint32_t i) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      go_.wait(lk, [&] { return stop_ || gen_ != seen; });
      if (stop_) return;
      seen = gen_;
      if (i >= want_) continue;
      const std::function<void(uint32_t)>* job = job_;
      lk.unlock();
      (*job)(i);
      lk.lock();
      if (++done_ == want_) done_cv_.notify_one();
    }
  }
  std::mutex m_;
  std::condition_variable go_, done_cv_;
  std::vector<std::thread> threads_;
  const std::function<void(uint32_t)>* job_ = nullptr;
  uint32_t want_ = 0, done_ = 0;
  uint64_t gen_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}
std::mutex g_launch_mutex;  // one launch at a time (blocks use function statics as shared memory)

}  // namespace

char* dynamic_shared() { return reinterpret_cast<char*>(t_block->dynamic.data()); }

void syncthreads(Site s) { barrier(s, B_PLAIN, 0); }
int syncthreads_or(Site s, int pred) { return barrier(s, B_OR, pred); }
int syncthreads_count(Site s, int pred) { return barrier(s, B_COUNT, pred); }
void syncwarp(Site s, unsigned mask) { collective(s, C_SYNCWARP, mask, 0, 0, 32); }
unsigned ballot(Site s, unsigned mask, int pred) { return static_cast<unsigned>(collective(s, C_BALLOT, mask, pred != 0, 0, 32)); }
uint64_t shuffle_bits(Site s, ShuffleKind kind, unsigned mask, uint64_t bits, int arg, int width) {
  return collective(s, static_cast<int>(kind), mask, bits, arg, width);
}

uint64_t threads_run() {
  std::lock_guard<std::mutex> lk(g_stats_mutex);
  return g_threads_run;
}

std::string launch_body(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const std::function<void()>& body) {
  const uint64_t n = static_cast<uint64_t>(block.x) * block.y * block.z;
  if (n == 0 || n > MAX_BLOCK_THREADS || grid.x == 0 || grid.y == 0 || grid.z == 0)
    return "invalid configuration: " + std::to_string(n) + " threads per block";
  if (dynamic_shared_bytes > MAX_DYNAMIC_SHARED)
    return "invalid configuration: " + std::to_string(dynamic_shared_bytes) + " bytes of dynamic shared memory";
  std::lock_guard<std::mutex> launch_lock(g_launch_mutex);
  for (uint32_t bz = 0; bz < grid.z; bz++)
    for (uint32_t by = 0; by < grid.y; by++)
      for (uint32_t bx = 0; bx < grid.x; bx++) {
        Block b;
        b.n = static_cast<uint32_t>(n);
        b.cv.reset(new std::condition_variable[n]);
        b.running = b.n;
        b.state.assign(b.n, RUNNING);
        b.at.assign(b.n, Site{"", 0});
        b.syncwarps.resize(b.n);
        b.warps.resize((b.n + 31) / 32);
        b.dynamic.assign(dynamic_shared_bytes / 8 + 2, 0x5A5A5A5A5A5A5A5Aull);  // uninitialised shared memory
        const uint3 bidx{bx, by, bz};
        pool().run(b.n, [&](uint32_t i) {
          t_block = &b;
          t_tid = i;
          tls.thread_idx = uint3{i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
          tls.block_idx = bidx;
          tls.block_dim = block;
          tls.grid_dim = grid;
          try {
            body();
          } catch (const Abort&) {
          } catch (const std::exception& e) {
            Quiet q;
            std::lock_guard<std::mutex> lk(b.m);
            record_failure(b, thread_name(b, i) + " threw: " + e.what());
          }
          thread_exit(b, i);
          t_block = nullptr;
        });
        {
          std::lock_guard<std::mutex> lk(g_stats_mutex);
          g_threads_run += b.n;
        }
        if (b.failed)
          return "block (" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz) + ") of " +
                 std::to_string(b.n) + " threads: " + b.error;
      }
  return "";
}

}  // namespace simt
