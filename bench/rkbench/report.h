// The result of one run, merged over workers, and its text / JSON / CSV renderings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/rkbench/histogram.h"
#include "bench/rkbench/options.h"

namespace rkbench {

struct Report {
  Histogram latency;
  uint64_t completed = 0;
  std::vector<uint64_t> errors;  // by -code
  uint64_t lost = 0;
  double window_s = 0;
  double setup_s = 0;
  uint64_t setup_created = 0;
  uint64_t setup_errors = 0;
  double client_cpu_s = 0;
  double server_cpu_s = -1;  // < 0: not measured
  std::string failure;

  double ops_per_s() const { return window_s > 0 ? completed / window_s : 0; }
  uint64_t error_total() const;
};

const char* error_name(int code);
void print_text(const Options& options, const Report& report);
bool write_json(const Options& options, const Report& report, const std::string& path);
bool append_csv(const Options& options, const Report& report, const std::string& path);

}  // namespace rkbench
