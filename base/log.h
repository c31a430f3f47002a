// Process-wide logging to stderr: one line per call, with a UTC timestamp and a level.
#pragma once

#include <cstdarg>

namespace rk {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_log_level(LogLevel level);
void log_line(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace rk

#define RK_DEBUG(...) ::rk::log_line(::rk::LogLevel::kDebug, __VA_ARGS__)
#define RK_INFO(...) ::rk::log_line(::rk::LogLevel::kInfo, __VA_ARGS__)
#define RK_WARN(...) ::rk::log_line(::rk::LogLevel::kWarn, __VA_ARGS__)
#define RK_ERROR(...) ::rk::log_line(::rk::LogLevel::kError, __VA_ARGS__)
