// The CUDA driver and NVDEC (nvcuvid), loaded at run time.
//
// libcuda.so.1 and libnvcuvid.so.1 are opened with dlopen through the ffnvcodec
// headers (Debian's libffmpeg-nvenc-dev) the first time a GPU is asked for, never at
// import: the package imports, and the CPU back end works, on machines without an
// NVIDIA driver. Asking for a GPU there raises a MediaError that says what is missing.
//
// Note [Primary context]
//   All CUDA work uses the device's primary context, the one the CUDA runtime and
//   PyTorch use, so memory and streams are shared with them. We retain it once per
//   device for the life of the process (never reset or destroyed: other users may hold
//   it), and push it around every driver call (ContextScope), popping it afterwards so
//   no context is left current on the caller's thread. Because nothing depends on
//   which thread made an object, decoders can be destroyed on any thread or by the
//   garbage collector.
//
// Thread-safety: driver() and device_context() are safe from any thread.
#pragma once

#include <ffnvcodec/dynlink_loader.h>

#include <string>
#include <utility>

namespace odvd::cuda {

// Driver entry points the ffnvcodec loader does not cover, looked up in the same library.
using StreamWaitEventFn = CUresult(CUDAAPI*)(CUstream stream, CUevent event, unsigned int flags);
using MemGetInfoFn = CUresult(CUDAAPI*)(size_t* free, size_t* total);
using DriverGetVersionFn = CUresult(CUDAAPI*)(int* version);

struct Driver {
  CudaFunctions* cu = nullptr;
  CuvidFunctions* cuvid = nullptr;
  StreamWaitEventFn stream_wait_event = nullptr;
  MemGetInfoFn mem_get_info = nullptr;
  DriverGetVersionFn driver_get_version = nullptr;  // optional (diagnostics)
};

// The loaded driver, initialised (cuInit) once. Throws MediaError when libcuda or
// libnvcuvid cannot be loaded or cuInit fails.
const Driver& driver();

// Number of CUDA devices; 0 when there is no usable driver. Never throws.
int device_count() noexcept;

// The CUDA version the driver supports (1000 * major + 10 * minor, e.g. 12080), 0 when
// there is no usable driver. Never throws.
int driver_version() noexcept;

// Throws MediaError (the same message driver() would give) when the NVIDIA driver's
// libraries cannot be loaded. Loads them without initialising CUDA (no cuInit), so it is
// safe before a fork: decoder constructors call it to fail early on machines without a
// driver, and leave the rest (device ordinal, contexts) to the first decoding call.
void require_driver_libraries();

// Throws MediaError "<what>: <CUDA error name> (<description>)" unless r is CUDA_SUCCESS.
void check(CUresult r, const std::string& what);
std::string error_text(CUresult r);

// A device ordinal, its primary context and its name.
struct DeviceContext {
  int ordinal = -1;
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::string name;
};

// Loads the driver and checks that device `ordinal` exists, creating no context (so it
// is safe in processes that must never hold one, e.g. data-loader workers). Returns the
// device count; throws MediaError naming the ordinal and the count otherwise.
int check_device(int ordinal);

// The id of the process in which this library last created (retained) a CUDA context,
// 0 if none: a forked child sees its parent's id, never its own, unless it made one.
int64_t context_creator_pid() noexcept;

// The (retained, process-lifetime) primary context of device `ordinal`. Throws
// MediaError naming the ordinal and the number of devices when it does not exist.
const DeviceContext& device_context(int ordinal);

// Makes `ctx` current on this thread for the scope, restoring the previous state.
class ContextScope {
 public:
  explicit ContextScope(CUcontext ctx);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
};

// An owned CUevent (timing disabled), destroyed with the object; empty when none.
class Event {
 public:
  Event() = default;
  ~Event() { reset(); }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept {
    if (this != &other) {
      reset();
      event_ = std::exchange(other.event_, nullptr);
    }
    return *this;
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // An event recorded on `stream` (in the current context); empty when the driver
  // refuses (callers then order work another way).
  static Event record(CUstream stream) noexcept;

  CUevent get() const { return event_; }
  explicit operator bool() const { return event_ != nullptr; }
  void reset() noexcept;

 private:
  explicit Event(CUevent event) : event_(event) {}
  CUevent event_ = nullptr;
};

// Work enqueued on `waiter` from now on waits for what is enqueued on `producer` so far
// (in the current context): an event and cuStreamWaitEvent, or, when no event can be
// recorded, a synchronisation of `producer`. MediaError on a driver error.
void order_after(CUstream waiter, CUstream producer);

// An owned non-blocking stream of one device.
class Stream {
 public:
  explicit Stream(const DeviceContext& device);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  CUstream get() const { return stream_; }
  void synchronize(const std::string& what) const;

 private:
  CUcontext context_;
  CUstream stream_ = nullptr;
};

}  // namespace odvd::cuda
