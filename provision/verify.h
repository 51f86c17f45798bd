#pragma once
// `provision verify`: judges a state read from AWS against the config, one
// checklist item per piece, for every mode. Pure, so each rule is
// unit-tested with hand-built states.
#include <string>
#include <vector>

#include "provision/observed_state.h"
#include "provision/provision_config.h"

namespace provision {

struct CheckItem {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct Checklist {
  std::vector<CheckItem> items;
  bool ok() const;
};

Checklist verify(const ProvisionConfig& config, const ObservedState& state);

}  // namespace provision
