// sync-loadgen: the load generator and convergence checker (ARCHITECTURE
// §6). run.h describes a run; this file only parses and hands over.
#include "options.h"
#include "run.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<datasync::LoadOptions> options =
      datasync::ParseLoadOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  return datasync::RunLoad(*options);
}
