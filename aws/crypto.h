#pragma once
// The two primitives SigV4 needs, on top of OpenSSL (never hand-written).
#include <string>
#include <string_view>

namespace aws {

// Lowercase hex of SHA-256(data): the form SigV4 puts in canonical requests.
std::string sha256_hex(std::string_view data);

// Raw 32-byte HMAC-SHA256(key, data), returned as bytes in a std::string.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

// Overwrites a buffer that held key material before it is freed.
void wipe(std::string& secret_bytes);

}  // namespace aws
