// Loader messages are collected into the error we raise instead of going to stderr.
#include <cstdarg>
#include <cstdio>
#include <string>

namespace {
void ffnv_log(void* ctx, const char* fmt, ...) {
  if (ctx == nullptr) return;
  char line[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  static_cast<std::string*>(ctx)->append(line);
}
}  // namespace

#define FFNV_LOG_FUNC(logctx, msg, ...) ffnv_log((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...)

#include "cuda/cuda_driver.hpp"

#include <unistd.h>

#include <atomic>

#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <vector>

#include "odvd/error.hpp"
#include "odvd/mutex.hpp"
#include "odvd/process_local.hpp"

namespace odvd::cuda {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Loads once; remembers the failure so every later request gets the same message.
struct LoadedDriver {
  Driver driver;
  std::string error;
  uint64_t generation = fork_generation();  // of the process that called cuInit
  int64_t pid = static_cast<int64_t>(::getpid());

  LoadedDriver() {
    std::string log;
    if (cuda_load_functions(&driver.cu, &log) != 0) {
      error = "the NVIDIA CUDA driver (libcuda.so.1) could not be loaded: " + trimmed(log) +
              "; is an NVIDIA GPU and driver present? (iGpu=-1 selects the CPU back end)";
      return;
    }
    log.clear();
    if (cuvid_load_functions(&driver.cuvid, &log) != 0) {
      error = "the NVIDIA video decoder library (libnvcuvid.so.1) could not be loaded: " + trimmed(log) +
              " (iGpu=-1 selects the CPU back end)";
      return;
    }
    driver.stream_wait_event = reinterpret_cast<StreamWaitEventFn>(dlsym(driver.cu->lib, "cuStreamWaitEvent"));
    driver.mem_get_info = reinterpret_cast<MemGetInfoFn>(dlsym(driver.cu->lib, "cuMemGetInfo_v2"));
    driver.driver_get_version = reinterpret_cast<DriverGetVersionFn>(dlsym(driver.cu->lib, "cuDriverGetVersion"));
    if (driver.stream_wait_event == nullptr || driver.mem_get_info == nullptr) {
      error = "the NVIDIA CUDA driver lacks cuStreamWaitEvent/cuMemGetInfo_v2 (driver too old?)";
      return;
    }
    const CUresult r = driver.cu->cuInit(0);
    if (r != CUDA_SUCCESS) {
      error = "CUDA could not be initialised (cuInit: " + error_text_raw(r) + "); iGpu=-1 selects the CPU back end";
    }
  }

  std::string error_text_raw(CUresult r) const {
    const char* name = nullptr;
    const char* text = nullptr;
    if (driver.cu->cuGetErrorName(r, &name) != CUDA_SUCCESS) name = nullptr;
    if (driver.cu->cuGetErrorString(r, &text) != CUDA_SUCCESS) text = nullptr;
    std::string s = name ? name : "CUDA error " + std::to_string(static_cast<int>(r));
    if (text) s += std::string(" (") + text + ")";
    return s;
  }
};

LoadedDriver& loaded() {
  // Intentionally leaked: buffers freed by the garbage collector at interpreter exit
  // may still need the driver after static destructors have run.
  static LoadedDriver* d = new LoadedDriver();
  return *d;
}

}  // namespace

const Driver& driver() {
  const LoadedDriver& d = loaded();
  if (!d.error.empty()) throw MediaError(d.error);
  // Note [Fork]: CUDA's state does not survive a fork; a child must not touch the
  // parent's driver, contexts or memory (at best an error, at worst a hang).
  if (d.generation != fork_generation()) {
    throw MediaError("CUDA cannot cross a fork: the GPU was set up in process " + std::to_string(d.pid) +
                     " and this is a process forked from it (pid " + std::to_string(::getpid()) +
                     "). Create GPU decoders in the worker process itself (e.g. in a DataLoader's worker_init_fn "
                     "or on first use), or start workers with the 'spawn' method; in forked workers, iGpu=-1 "
                     "decoders and demux-only calls (GetGOP, GetGOPList, GetFastInitInfo) work");
  }
  return d.driver;
}

void require_driver_libraries() {
  // RTLD_LAZY and never closed: the same libraries driver() loads later, found the same way.
  for (const char* lib : {"libcuda.so.1", "libnvcuvid.so.1"}) {
    if (::dlopen(lib, RTLD_LAZY | RTLD_LOCAL) == nullptr) {
      const char* why = ::dlerror();
      throw MediaError(std::string("the NVIDIA ") + (lib[3] == 'c' ? "CUDA driver" : "video decoder library") + " (" +
                       lib + ") could not be loaded: " + (why ? why : "unknown reason") +
                       "; is an NVIDIA GPU and driver present? (iGpu=-1 selects the CPU back end)");
    }
  }
}

int device_count() noexcept {
  try {
    const Driver& d = driver();
    int n = 0;
    return d.cu->cuDeviceGetCount(&n) == CUDA_SUCCESS ? n : 0;
  } catch (...) {
    return 0;
  }
}

std::string error_text(CUresult r) {
  return loaded().error_text_raw(r);
}

void check(CUresult r, const std::string& what) {
  if (r != CUDA_SUCCESS) throw MediaError(what + ": " + error_text(r));
}

int check_device(int ordinal) {
  int count = 0;
  check(driver().cu->cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (ordinal < 0 || ordinal >= count) {
    throw MediaError("iGpu=" + std::to_string(ordinal) + " is not a CUDA device (this machine has " +
                     std::to_string(count) + (count == 1 ? " device" : " devices") +
                     "; iGpu=-1 selects the CPU back end)");
  }
  return count;
}

namespace {
std::atomic<int64_t> context_pid{0};
}

int driver_version() noexcept {
  try {
    const Driver& d = driver();
    int version = 0;
    if (d.driver_get_version == nullptr || d.driver_get_version(&version) != CUDA_SUCCESS) return 0;
    return version;
  } catch (...) {
    return 0;
  }
}

int64_t context_creator_pid() noexcept {
  return context_pid.load();
}

const DeviceContext& device_context(int ordinal) {
  const Driver& d = driver();
  struct Contexts {
    Mutex mutex;
    std::vector<std::unique_ptr<DeviceContext>> of_device ODVD_GUARDED_BY(mutex);
  };
  static auto* contexts = new Contexts();  // leaked, see loaded()
  MutexLock lock(contexts->mutex);
  const int count = check_device(ordinal);
  if (contexts->of_device.size() < static_cast<size_t>(count)) contexts->of_device.resize(count);
  std::unique_ptr<DeviceContext>& slot = contexts->of_device[ordinal];
  if (!slot) {
    auto ctx = std::make_unique<DeviceContext>();
    ctx->ordinal = ordinal;
    check(d.cu->cuDeviceGet(&ctx->device, ordinal), "cuDeviceGet(" + std::to_string(ordinal) + ")");
    char name[256] = {};
    if (d.cu->cuDeviceGetName(name, sizeof name - 1, ctx->device) == CUDA_SUCCESS) ctx->name = name;
    check(d.cu->cuDevicePrimaryCtxRetain(&ctx->context, ctx->device),
          "retaining the primary context of CUDA device " + std::to_string(ordinal));
    context_pid.store(static_cast<int64_t>(getpid()));
    slot = std::move(ctx);
  }
  return *slot;
}

ContextScope::ContextScope(CUcontext ctx) {
  check(driver().cu->cuCtxPushCurrent(ctx), "cuCtxPushCurrent");
}

ContextScope::~ContextScope() {
  CUcontext popped = nullptr;
  driver().cu->cuCtxPopCurrent(&popped);
}

Stream::Stream(const DeviceContext& device) : context_(device.context) {
  ContextScope scope(context_);
  check(driver().cu->cuStreamCreate(&stream_, 0x1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
}

Event Event::record(CUstream stream) noexcept {
  try {
    const Driver& d = driver();
    CUevent raw = nullptr;
    if (d.cu->cuEventCreate(&raw, 0x2 /* CU_EVENT_DISABLE_TIMING */) != CUDA_SUCCESS) return {};
    Event event(raw);
    if (d.cu->cuEventRecord(raw, stream) != CUDA_SUCCESS) return {};
    return event;
  } catch (...) {
    return {};
  }
}

void Event::reset() noexcept {
  if (event_ == nullptr) return;
  try {
    driver().cu->cuEventDestroy(event_);  // loaded: the event was made through it
  } catch (...) {
  }
  event_ = nullptr;
}

Stream::~Stream() {
  ContextScope scope(context_);
  driver().cu->cuStreamDestroy(stream_);
}

void Stream::synchronize(const std::string& what) const {
  ContextScope scope(context_);
  check(driver().cu->cuStreamSynchronize(stream_), what);
}

void order_after(CUstream waiter, CUstream producer) {
  if (waiter == producer) return;
  const Event done = Event::record(producer);
  if (done) {
    check(driver().stream_wait_event(waiter, done.get(), 0), "ordering work between CUDA streams");
  } else {
    check(driver().cu->cuStreamSynchronize(producer), "waiting for a CUDA stream");
  }
}

}  // namespace odvd::cuda
