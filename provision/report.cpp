#include "provision/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace provision {

std::string format_plan_text(const Plan& plan) {
  std::string text;
  for (const auto& problem : plan.problems) text += fmt::format("problem {}: {}\n", problem.subject, problem.message);
  for (const auto& action : plan.actions) text += fmt::format("create  {}\n", action.description);
  for (const auto& keep : plan.keeps) {
    text += fmt::format("keep    {} {}{}\n", keep.description, keep.resource_id,
                        keep.managed ? "" : " (not created by provision; destroy leaves it)");
  }
  text += fmt::format("{} to create, {} to keep, {} problem(s)\n", plan.actions.size(), plan.keeps.size(),
                      plan.problems.size());
  return text;
}

std::string format_plan_json(const Plan& plan) {
  nlohmann::json out = {{"ok", plan.ok()}, {"actions", nlohmann::json::array()},
                        {"keep", nlohmann::json::array()}, {"problems", nlohmann::json::array()}};
  for (const auto& action : plan.actions) {
    out["actions"].push_back({{"kind", to_string(action.kind())}, {"description", action.description}});
  }
  for (const auto& keep : plan.keeps) {
    out["keep"].push_back({{"description", keep.description}, {"id", keep.resource_id}, {"managed", keep.managed}});
  }
  for (const auto& problem : plan.problems) {
    out["problems"].push_back({{"subject", problem.subject}, {"message", problem.message}});
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string format_checklist_text(const Checklist& checklist) {
  std::string text;
  int failed = 0;
  for (const auto& item : checklist.items) {
    if (!item.ok) ++failed;
    text += fmt::format("[{}] {}{}\n", item.ok ? "ok" : "FAIL", item.name,
                        item.detail.empty() ? "" : " (" + item.detail + ")");
  }
  text += fmt::format("{} check(s), {} failed\n", checklist.items.size(), failed);
  return text;
}

std::string format_checklist_json(const Checklist& checklist) {
  nlohmann::json out = {{"ok", checklist.ok()}, {"checks", nlohmann::json::array()}};
  for (const auto& item : checklist.items) {
    out["checks"].push_back({{"name", item.name}, {"ok", item.ok}, {"detail", item.detail}});
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace provision
