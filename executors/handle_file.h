// A ProcessHandle as text, and the copy of it kept in the job's directory.
//
// The launcher writes <job_dir>/handle durably before Launch returns, so a
// daemon killed between launching a job and storing its handle finds the
// job on restart instead of launching it twice. The same text is what the
// daemon may store in its database.
#ifndef SUNWIND_EXECUTORS_HANDLE_FILE_H_
#define SUNWIND_EXECUTORS_HANDLE_FILE_H_

#include <string>

#include "core/status.h"
#include "executors/process_runner.h"

namespace sunwind {

// "key value" lines: job_pid, job_start_ticks, supervisor_pid,
// supervisor_start_ticks, started (unix seconds), job_dir (the rest of its
// line). The log and status paths follow from job_dir.
std::string FormatHandle(const ProcessHandle& handle);
// kInvalidArgument naming the first missing or malformed key.
Result<ProcessHandle> ParseHandle(const std::string& text);

// The paths of a job's files in its directory.
std::string HandlePath(const std::string& job_dir);
std::string StdoutPath(const std::string& job_dir);
std::string StderrPath(const std::string& job_dir);
std::string StatusPath(const std::string& job_dir);

// Writes <job_dir>/handle: temp file, fsync, rename, fsync of the directory.
Status SaveHandle(const ProcessHandle& handle);
// Reads <job_dir>/handle; kNotFound when there is none (never launched).
Result<ProcessHandle> LoadHandle(const std::string& job_dir);

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_HANDLE_FILE_H_
