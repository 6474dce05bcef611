// Command-line entry point of the bonewatch executable.
//
// RunCli parses the sub-command and dispatches to it. It never throws: every
// failure is reported on stderr with a non-zero exit code.
#pragma once

namespace bonewatch::adapter {

int RunCli(int argc, char** argv);

}  // namespace bonewatch::adapter
