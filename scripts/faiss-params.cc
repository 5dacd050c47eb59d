// recsys-lab's addition to the faiss-node addon: search-time settings (nprobe, efSearch) and efConstruction, which
// faiss-node 0.5.1's JavaScript API cannot set. scripts/build-faiss-node.js copies this file into faiss-node's src/
// and compiles it INSTEAD of src/faiss.cc: it includes faiss.cc unchanged (one translation unit, so the compiler
// sees faiss-node's classes), registers faiss-node's own exports, then adds
//
//   setIndexParameter(index, name, value)   name: "nprobe" (IVF), "efSearch" or "efConstruction" (HNSW)
//   getIndexParameter(index, name) -> number
//
// for indexes made by faiss-node's Index.fromFactory / Index.read. If this file stops compiling (a newer
// faiss-node), the build script falls back to plain faiss.cc and the kit runs with FAISS's defaults.
#include <napi.h>

// faiss.cc ends with NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init); silence it and register our Init below instead.
#undef NODE_API_MODULE
#define NODE_API_MODULE(modname, regfunc)
#include "faiss.cc"

#include <faiss/AutoTune.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>

namespace recsys {

// Reads faiss-node's protected IndexBase::index_ and ::constructor (a derived class may name protected members).
struct Peek : IndexBase<Index, faiss::IndexFlatL2> {
  static faiss::Index *get(IndexBase<Index, faiss::IndexFlatL2> &wrapped) { return (wrapped.*(&Peek::index_)).get(); }
  static Napi::FunctionReference *ctor() { return Peek::constructor; }
};

// The faiss::Index behind a faiss-node Index object, or null after throwing a JavaScript TypeError.
static faiss::Index *unwrapIndex(const Napi::CallbackInfo &info, const char *where) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsString()) {
    Napi::TypeError::New(env, std::string(where) + ": expected (index, name[, value])").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::Object obj = info[0].As<Napi::Object>();
  // Unwrapping an object of another class would read foreign memory: check the class first.
  if (!Peek::ctor() || !obj.InstanceOf(Peek::ctor()->Value())) {
    Napi::TypeError::New(env, std::string(where) + ": the index must come from faiss-node's Index.fromFactory or Index.read")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  faiss::Index *index = Peek::get(*Napi::ObjectWrap<Index>::Unwrap(obj));
  if (!index) Napi::Error::New(env, std::string(where) + ": the index is empty (failed read?)").ThrowAsJavaScriptException();
  return index;
}

static Napi::Value setIndexParameter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  faiss::Index *index = unwrapIndex(info, "setIndexParameter");
  if (!index) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "setIndexParameter: value must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  const double value = info[2].As<Napi::Number>().DoubleValue();
  if (!(value >= 1 && value <= 1e9)) {
    Napi::RangeError::New(env, "setIndexParameter: " + name + " must be in [1, 1e9]").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // FAISS reports misuse by throwing; an exception escaping a node-addon-api callback aborts the process.
  try {
    if (name == "efConstruction") {
      auto *hnsw = dynamic_cast<faiss::IndexHNSW *>(index);
      if (!hnsw) throw std::invalid_argument("efConstruction applies to HNSW indexes only");
      hnsw->hnsw.efConstruction = int(value);
    } else if (name == "nprobe" || name == "efSearch") {
      if (name == "nprobe" && !dynamic_cast<faiss::IndexIVF *>(index)) throw std::invalid_argument("nprobe applies to IVF indexes only");
      if (name == "efSearch" && !dynamic_cast<faiss::IndexHNSW *>(index)) throw std::invalid_argument("efSearch applies to HNSW indexes only");
      faiss::ParameterSpace().set_index_parameter(index, name, value);
    } else {
      throw std::invalid_argument("unknown parameter '" + name + "' (known: nprobe, efSearch, efConstruction)");
    }
  } catch (const std::exception &ex) {
    Napi::Error::New(env, std::string("setIndexParameter: ") + ex.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

static Napi::Value getIndexParameter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  faiss::Index *index = unwrapIndex(info, "getIndexParameter");
  if (!index) return env.Undefined();
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  auto *ivf = dynamic_cast<faiss::IndexIVF *>(index);
  auto *hnsw = dynamic_cast<faiss::IndexHNSW *>(index);
  if (name == "nprobe" && ivf) return Napi::Number::New(env, double(ivf->nprobe));
  if (name == "nlist" && ivf) return Napi::Number::New(env, double(ivf->nlist));
  if (name == "efSearch" && hnsw) return Napi::Number::New(env, hnsw->hnsw.efSearch);
  if (name == "efConstruction" && hnsw) return Napi::Number::New(env, hnsw->hnsw.efConstruction);
  Napi::Error::New(env, "getIndexParameter: '" + name + "' is not a parameter of this index").ThrowAsJavaScriptException();
  return env.Undefined();
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  ::Init(env, exports);
  exports.Set("setIndexParameter", Napi::Function::New(env, setIndexParameter, "setIndexParameter"));
  exports.Set("getIndexParameter", Napi::Function::New(env, getIndexParameter, "getIndexParameter"));
  return exports;
}

}  // namespace recsys

static napi_value recsysRegister(napi_env env, napi_value exports) {
  return Napi::RegisterModule(env, exports, recsys::init);
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, recsysRegister)
