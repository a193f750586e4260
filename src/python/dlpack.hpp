// The DLPack C ABI (the legacy, unversioned DLManagedTensor), declared here so the
// bindings need no extra dependency. Layout as published by the DLPack project
// (dlpack.h v0.8); these structs are an ABI, so field order and types must not change.
#pragma once

#include <cstdint>

extern "C" {

enum OdvdDLDeviceType : int32_t { kOdvdDLCPU = 1, kOdvdDLCUDA = 2 };
enum OdvdDLDataTypeCode : uint8_t { kOdvdDLUInt = 1, kOdvdDLFloat = 2, kOdvdDLBfloat = 4 };

struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements
  uint64_t byte_offset;
};

struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

}  // extern "C"
