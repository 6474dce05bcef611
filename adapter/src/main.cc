#include "cli.h"

int main(int argc, char** argv) { return bonewatch::adapter::RunCli(argc, argv); }
