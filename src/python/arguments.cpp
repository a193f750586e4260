#include "python/arguments.hpp"

#include <memory>
#include <unordered_map>

#include <limits>

namespace odvd::python {
namespace {

// A path in an error is shown whole (up to PATH_MAX): the user must see which file it names.
constexpr size_t kPathShown = 4096;

constexpr long long kInt32Min = std::numeric_limits<int32_t>::min();
constexpr long long kInt32Max = std::numeric_limits<int32_t>::max();

[[noreturn]] void type_error(const std::string& name, const std::string& expected, const py::handle& got,
                             const std::string& hint = "") {
  throw py::type_error(name + " must be " + expected + ", got " + describe(got) + hint);
}

bool is_text(const py::handle& obj) {
  return PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr());
}

py::sequence as_sequence(const py::handle& obj, const std::string& name, const std::string& expected,
                         const std::string& hint_for_one = "") {
  if (is_text(obj) || PyObject_HasAttrString(obj.ptr(), "__fspath__")) type_error(name, expected, obj, hint_for_one);
  if (!PySequence_Check(obj.ptr()) || PyDict_Check(obj.ptr())) type_error(name, expected, obj);
  return py::reinterpret_borrow<py::sequence>(obj);
}

std::string item_name(const std::string& name, size_t i) {
  return name + "[" + std::to_string(i) + "]";
}

}  // namespace

py::sequence sequence(const py::handle& obj, const std::string& name, const std::string& expected) {
  return as_sequence(obj, name, expected);
}

std::string describe(const py::handle& obj, size_t limit) {
  std::string repr;
  try {
    repr = py::repr(obj).cast<std::string>();
  } catch (const py::error_already_set&) {
    repr = "<unprintable>";
  }
  if (repr.size() > limit) repr = repr.substr(0, limit - 3) + "...";
  return std::string(Py_TYPE(obj.ptr())->tp_name) + " " + repr;
}

std::string one_path(const py::handle& obj, const std::string& name) {
  py::object value = py::reinterpret_borrow<py::object>(obj);
  if (!is_text(obj)) {
    if (!PyObject_HasAttrString(obj.ptr(), "__fspath__")) type_error(name, "a path (str or os.PathLike)", obj);
    value = py::module_::import("os").attr("fspath")(obj);
  }
  if (PyBytes_Check(value.ptr())) value = py::module_::import("os").attr("fsdecode")(value);
  if (!PyUnicode_Check(value.ptr())) type_error(name, "a path (str or os.PathLike)", obj);
  // os.fsencode: the bytes the operating system gets (surrogate escapes included).
  std::string path = py::module_::import("os").attr("fsencode")(value).cast<std::string>();
  const size_t nul = path.find('\0');
  if (nul != std::string::npos) {
    throw py::value_error(name + " contains a NUL byte at position " + std::to_string(nul) + ": " +
                          describe(obj, kPathShown) +
                          " (no file name can hold one; the operating system would read the path only up to it)");
  }
  return path;
}

std::vector<std::string> path_list(const py::handle& obj, const std::string& name) {
  std::string hint;
  if (is_text(obj) || PyObject_HasAttrString(obj.ptr(), "__fspath__")) {
    hint = " (one path is a list of one: [path])";
  }
  py::sequence items = as_sequence(obj, name, "a list of paths", hint);
  std::vector<std::string> out;
  const size_t n = py::len(items);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(one_path(items[i], item_name(name, i)));
  return out;
}

long long integer(const py::handle& obj, const std::string& name, long long lo, long long hi, const std::string& hint) {
  if (PyBool_Check(obj.ptr()) || !PyIndex_Check(obj.ptr())) type_error(name, "an integer", obj);
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0 || v < lo || v > hi) {
    throw py::value_error(name + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " +
                          py::str(index).cast<std::string>() + ")" + hint);
  }
  return v;
}

int int32(const py::handle& obj, const std::string& name) {
  return static_cast<int>(integer(obj, name, kInt32Min, kInt32Max));
}

std::vector<int> int_list(const py::handle& obj, const std::string& name, long long lo, long long hi,
                          const std::string& hint) {
  py::sequence items = as_sequence(obj, name, "a list of integers");
  std::vector<int> out;
  const size_t n = py::len(items);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<int>(integer(items[i], item_name(name, i), lo, hi, hint)));
  return out;
}

std::vector<std::vector<int>> int_lists(const py::handle& obj, const std::string& name, long long lo, long long hi,
                                        const std::string& hint) {
  py::sequence lists = as_sequence(obj, name, "a list of lists of integers");
  std::vector<std::vector<int>> out;
  const size_t n = py::len(lists);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(int_list(lists[i], item_name(name, i), lo, hi, hint));
  return out;
}

std::vector<int> frame_ids(const py::handle& obj, const std::string& name) {
  return int_list(obj, name, kInt32Min, kInt32Max, " (frame ids are 32-bit)");
}

std::vector<std::vector<int>> frame_id_lists(const py::handle& obj, const std::string& name) {
  return int_lists(obj, name, kInt32Min, kInt32Max, " (frame ids are 32-bit)");
}

ContentDigests content_digests(const py::handle& obj, const std::string& name) {
  if (obj.is_none()) return nullptr;
  if (!PyDict_Check(obj.ptr())) {
    throw py::type_error(name + " must be None or a dict {path: digest} (digests from content_digest()), got " +
                         describe(obj));
  }
  auto map = std::make_shared<std::unordered_map<std::string, std::string>>();
  for (const auto& item : py::reinterpret_borrow<py::dict>(obj)) {
    const std::string path = one_path(item.first, name + " key");
    if (!PyUnicode_Check(item.second.ptr())) {
      throw py::type_error(name + "['" + path + "'] must be a digest string, got " + describe(item.second));
    }
    (*map)[path] = item.second.cast<std::string>();
  }
  return map;
}

bool flag(const py::handle& obj, const std::string& name) {
  if (PyBool_Check(obj.ptr())) return obj.ptr() == Py_True;
  // numpy.bool_ is not a subclass of bool; accept it by its type name, without importing numpy.
  const std::string type = Py_TYPE(obj.ptr())->tp_name;
  if (type == "numpy.bool_" || type == "numpy.bool") return PyObject_IsTrue(obj.ptr()) == 1;
  type_error(name, "True or False", obj);
}

std::string text(const py::handle& obj, const std::string& name) {
  if (!PyUnicode_Check(obj.ptr())) type_error(name, "a str", obj);
  return obj.cast<std::string>();
}

std::vector<StreamInfo> stream_infos(const py::handle& obj, const std::string& name) {
  py::sequence items = as_sequence(obj, name, "a list of FastStreamInfo (or [])");
  std::vector<StreamInfo> out;
  const size_t n = py::len(items);
  for (size_t i = 0; i < n; ++i) {
    py::object item = items[i];
    if (!py::isinstance<StreamInfo>(item)) type_error(item_name(name, i), "a FastStreamInfo", item);
    out.push_back(item.cast<StreamInfo>());
  }
  return out;
}

}  // namespace odvd::python
