// Conversions of the Python API's arguments (issue #16): every argument a user passes is
// taken as a Python object and converted here, so that a wrong value raises an error
// naming the argument, what was expected and what came (never pybind11's generic
// "incompatible function arguments" list of signatures):
//   - TypeError for a value of the wrong kind ("frame_ids[1] must be an integer, got
//     float 1.5"; a str where a list of paths belongs is refused, not split into letters);
//   - ValueError for a value of the right kind out of range (a frame id beyond 32 bits,
//     a path with a NUL byte, which the operating system would silently cut short).
// Ranges of the decoders' options themselves are checked by the options (odvd/option_limits.hpp).
//
// Needs the GIL (it touches Python objects).
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "odvd/content_digest.hpp"
#include "odvd/types.hpp"

namespace odvd::python {

namespace py = pybind11;

// "float 1.5", "str 'clip.mp4'", "NoneType None": the kind and a repr of `obj` cut to `limit` characters.
std::string describe(const py::handle& obj, size_t limit = 60);

// A path: str, bytes or os.PathLike; NUL bytes refused. `name` is the argument's name
// (or "filepaths[3]").
std::string one_path(const py::handle& obj, const std::string& name);
// A list (or tuple, or other sequence) of paths; a single str/bytes/PathLike is refused
// with a hint to wrap it in a list.
std::vector<std::string> path_list(const py::handle& obj, const std::string& name);

// A sequence we may index (list, tuple, numpy array, range), but not a str, bytes, path
// or dict: "<name> must be <expected>, got ..." otherwise.
py::sequence sequence(const py::handle& obj, const std::string& name, const std::string& expected);

// A Python int (or a numpy integer; not a bool, not a float) within lo..hi:
// "<name> must be lo..hi (got v)<hint>" otherwise, as the options' own checks say it.
long long integer(const py::handle& obj, const std::string& name, long long lo, long long hi,
                  const std::string& hint = "");
// A sequence of integers, each within lo..hi (`hint` ends range messages).
std::vector<int> int_list(const py::handle& obj, const std::string& name, long long lo, long long hi,
                          const std::string& hint = "");
// A sequence of sequences of integers (DecodeBatch's frame lists).
std::vector<std::vector<int>> int_lists(const py::handle& obj, const std::string& name, long long lo, long long hi,
                                        const std::string& hint = "");
// An int within the 32-bit range of the C++ options (whose own checks then apply).
int int32(const py::handle& obj, const std::string& name);
// Frame ids: int_list over the 32-bit range (the decoders report ids outside a file's frames).
std::vector<int> frame_ids(const py::handle& obj, const std::string& name = "frame_ids");
std::vector<std::vector<int>> frame_id_lists(const py::handle& obj, const std::string& name = "frame_ids");

// True or False (or a numpy bool); anything else is a TypeError (no truthiness: 'no' is not False).
bool flag(const py::handle& obj, const std::string& name);
// A str.
std::string text(const py::handle& obj, const std::string& name);
// None (no check) or a dict {path: digest from content_digest()}: ContentDigests.
ContentDigests content_digests(const py::handle& obj, const std::string& name = "content_digests");
// A list of FastStreamInfo (or an empty one).
std::vector<StreamInfo> stream_infos(const py::handle& obj, const std::string& name = "fastStreamInfos");

}  // namespace odvd::python
