// Writing a batch on the CPU (TensorPlan in host memory, frames in host memory).
//
// Note [CPU tensor rows]: the same arithmetic as the kernel (tensor_math.hpp), arranged
// for a CPU: each source row a band needs is converted once to RGB floats, filtered
// horizontally once into a row of the output's width, and the vertical taps then combine
// those rows — every source pixel converted once instead of once per tap. Work is split
// into (entry, band of output rows) tasks over the decoder's thread pool.
#pragma once

#include "odvd/tensor.hpp"
#include "tensor/tensor_plan.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

// float -> float16 bits, rounded to nearest even: float_to_half_bits() of each value, with
// the F16C instruction where the CPU has it (the same bits).
void floats_to_halves(const float* values, int n, uint16_t* out);
// Whether floats_to_halves() uses F16C on this machine.
bool floats_to_halves_vectorised();

// Fills `target` (host memory, plan.height() x plan.width(), one slot per job).
void write_tensor_on_cpu(const TensorPlan& plan, const TensorTarget& target, ThreadPool& pool);

}  // namespace odvd
