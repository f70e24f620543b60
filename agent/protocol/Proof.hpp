#pragma once
/// The agent's proof that it holds its enrolment token, without sending the token: HMAC-SHA256
/// keyed with the token over the controller's single-use nonce, as 64 hex digits.

#include <string>

namespace dagda::protocol {

std::string token_proof(const std::string& token, const std::string& nonce);

/// A fresh nonce (32 random bytes from the system, as hex).
std::string random_nonce();

/// Compares two proofs in constant time.
bool same_proof(const std::string& a, const std::string& b);

}  // namespace dagda::protocol
