// libcurl, loaded on first use. Debian's libcurl4 pulls in 25 more shared
// libraries (gnutls, krb5, ldap, ssh2, ...) that cost every process 3.7 MiB of
// RSS at start-up (bench/README.md), yet most hosts configure no HTTPS check
// and the daemon never needs libcurl then. This file defines the libcurl
// functions the project calls; each forwards to the real libcurl.so.4, which
// is dlopen()ed the first time any of them runs. Nothing else changes: the
// callers keep using the documented libcurl API.
//
// If libcurl cannot be loaded, the functions fail the way libcurl itself
// reports failure (NULL handles, CURLE_FAILED_INIT), so callers' existing
// error paths apply.
#define CURL_DISABLE_TYPECHECK  // the type-checking macros would rename our definitions
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>

namespace {

struct CurlLibrary {
  bool loaded = false;
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_free) free = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_setopt) multi_setopt = nullptr;
  decltype(&::curl_multi_socket_action) multi_socket_action = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;
  decltype(&::curl_url) url = nullptr;
  decltype(&::curl_url_cleanup) url_cleanup = nullptr;
  decltype(&::curl_url_get) url_get = nullptr;
  decltype(&::curl_url_set) url_set = nullptr;
};

template <typename Function>
bool resolve(void* handle, const char* name, Function& slot) {
  slot = reinterpret_cast<Function>(dlsym(handle, name));
  return slot != nullptr;
}

CurlLibrary load() {
  CurlLibrary library;
  // RTLD_LOCAL: dlsym on this handle finds libcurl's own functions, never
  // the forwarding definitions below.
  void* handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "privatelink-sidecar: cannot load libcurl.so.4 (%s); HTTPS checks are unavailable\n",
                 dlerror());
    return library;
  }
  library.loaded =
      resolve(handle, "curl_global_init", library.global_init) && resolve(handle, "curl_easy_init", library.easy_init) &&
      resolve(handle, "curl_easy_cleanup", library.easy_cleanup) &&
      resolve(handle, "curl_easy_perform", library.easy_perform) &&
      resolve(handle, "curl_easy_setopt", library.easy_setopt) &&
      resolve(handle, "curl_easy_getinfo", library.easy_getinfo) &&
      resolve(handle, "curl_easy_strerror", library.easy_strerror) && resolve(handle, "curl_free", library.free) &&
      resolve(handle, "curl_slist_append", library.slist_append) &&
      resolve(handle, "curl_slist_free_all", library.slist_free_all) &&
      resolve(handle, "curl_multi_init", library.multi_init) &&
      resolve(handle, "curl_multi_cleanup", library.multi_cleanup) &&
      resolve(handle, "curl_multi_add_handle", library.multi_add_handle) &&
      resolve(handle, "curl_multi_remove_handle", library.multi_remove_handle) &&
      resolve(handle, "curl_multi_setopt", library.multi_setopt) &&
      resolve(handle, "curl_multi_socket_action", library.multi_socket_action) &&
      resolve(handle, "curl_multi_info_read", library.multi_info_read) && resolve(handle, "curl_url", library.url) &&
      resolve(handle, "curl_url_cleanup", library.url_cleanup) && resolve(handle, "curl_url_get", library.url_get) &&
      resolve(handle, "curl_url_set", library.url_set);
  if (!library.loaded) std::fprintf(stderr, "privatelink-sidecar: libcurl.so.4 lacks a needed function\n");
  return library;
}

const CurlLibrary& curl() {
  static const CurlLibrary library = load();  // thread-safe, once
  return library;
}

// Options and infos take exactly one argument whose type the option number
// encodes (curl.h CURLOPTTYPE_*). Object and function pointers are passed on
// as void*: the same size and calling convention on every Linux ABI.
template <typename Setter, typename Handle, typename Option>
CURLcode forward_option(Setter setter, Handle handle, Option option, va_list args) {
  const int number = static_cast<int>(option);
  if (number < CURLOPTTYPE_OBJECTPOINT) return static_cast<CURLcode>(setter(handle, option, va_arg(args, long)));
  if (number >= CURLOPTTYPE_OFF_T && number < CURLOPTTYPE_BLOB) {
    return static_cast<CURLcode>(setter(handle, option, va_arg(args, curl_off_t)));
  }
  return static_cast<CURLcode>(setter(handle, option, va_arg(args, void*)));
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) { return curl().loaded ? curl().global_init(flags) : CURLE_FAILED_INIT; }
CURL* curl_easy_init() { return curl().loaded ? curl().easy_init() : nullptr; }
void curl_easy_cleanup(CURL* handle) {
  if (curl().loaded) curl().easy_cleanup(handle);
}
CURLcode curl_easy_perform(CURL* handle) { return curl().loaded ? curl().easy_perform(handle) : CURLE_FAILED_INIT; }

CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...) {
  if (!curl().loaded) return CURLE_FAILED_INIT;
  va_list args;
  va_start(args, option);
  const CURLcode code = forward_option(curl().easy_setopt, handle, option, args);
  va_end(args);
  return code;
}

CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...) {
  if (!curl().loaded) return CURLE_FAILED_INIT;
  va_list args;
  va_start(args, info);
  void* destination = va_arg(args, void*);  // every info writes through one pointer
  va_end(args);
  return curl().easy_getinfo(handle, info, destination);
}

const char* curl_easy_strerror(CURLcode code) {
  return curl().loaded ? curl().easy_strerror(code) : "libcurl is not available";
}
void curl_free(void* pointer) {
  if (curl().loaded) curl().free(pointer);
}
curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return curl().loaded ? curl().slist_append(list, text) : nullptr;
}
void curl_slist_free_all(curl_slist* list) {
  if (curl().loaded) curl().slist_free_all(list);
}

CURLM* curl_multi_init() { return curl().loaded ? curl().multi_init() : nullptr; }
CURLMcode curl_multi_cleanup(CURLM* multi) { return curl().loaded ? curl().multi_cleanup(multi) : CURLM_INTERNAL_ERROR; }
CURLMcode curl_multi_add_handle(CURLM* multi, CURL* handle) {
  return curl().loaded ? curl().multi_add_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}
CURLMcode curl_multi_remove_handle(CURLM* multi, CURL* handle) {
  return curl().loaded ? curl().multi_remove_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_setopt(CURLM* multi, CURLMoption option, ...) {
  if (!curl().loaded) return CURLM_INTERNAL_ERROR;
  va_list args;
  va_start(args, option);
  const auto code = forward_option(curl().multi_setopt, multi, option, args);
  va_end(args);
  return static_cast<CURLMcode>(code);
}

CURLMcode curl_multi_socket_action(CURLM* multi, curl_socket_t socket, int event_mask, int* running_handles) {
  return curl().loaded ? curl().multi_socket_action(multi, socket, event_mask, running_handles) : CURLM_INTERNAL_ERROR;
}
CURLMsg* curl_multi_info_read(CURLM* multi, int* messages_left) {
  return curl().loaded ? curl().multi_info_read(multi, messages_left) : nullptr;
}

CURLU* curl_url() { return curl().loaded ? curl().url() : nullptr; }
void curl_url_cleanup(CURLU* handle) {
  if (curl().loaded) curl().url_cleanup(handle);
}
CURLUcode curl_url_get(CURLU* handle, CURLUPart what, char** part, unsigned int flags) {  // 7.88 declares CURLU*, not const
  return curl().loaded ? curl().url_get(handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}
CURLUcode curl_url_set(CURLU* handle, CURLUPart what, const char* part, unsigned int flags) {
  return curl().loaded ? curl().url_set(handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

}  // extern "C"
