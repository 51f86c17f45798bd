#pragma once
// Human and JSON renderings of a plan and a verify checklist. Nothing here
// carries credentials: only resource ids, names and CIDRs.
#include <string>

#include "provision/planner.h"
#include "provision/verify.h"

namespace provision {

// "create  ...", "keep    ...", "problem ..." lines, then a summary line.
std::string format_plan_text(const Plan& plan);
std::string format_plan_json(const Plan& plan);
// "[ok] ..." / "[FAIL] ..." lines, then a summary line.
std::string format_checklist_text(const Checklist& checklist);
std::string format_checklist_json(const Checklist& checklist);

}  // namespace provision
