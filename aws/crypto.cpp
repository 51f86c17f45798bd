#include "aws/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace aws {

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char byte : bytes) {
    const auto value = static_cast<unsigned char>(byte);
    hex.push_back(digits[value >> 4]);
    hex.push_back(digits[value & 0x0f]);
  }
  return hex;
}

// OpenSSL only fails here on allocation failure or a broken provider setup;
// there is nothing a caller could do, and a wrong digest would be worse than
// stopping, so these throw instead of returning an Error.
std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  if (result == nullptr) throw std::runtime_error("OpenSSL HMAC(SHA-256) failed");
  std::string bytes(reinterpret_cast<const char*>(mac.data()), length);
  OPENSSL_cleanse(mac.data(), mac.size());
  return bytes;
}

void wipe(std::string& secret_bytes) {
  if (!secret_bytes.empty()) OPENSSL_cleanse(secret_bytes.data(), secret_bytes.size());
  secret_bytes.clear();
}

}  // namespace aws
