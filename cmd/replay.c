/* referee replay — placeholder until its issue lands; the owner replaces it. */
#include "cli.h"

int cmd_replay(int argc, char **argv)
{
	(void)argc;
	return cli_fail(argv[0], CLI_INTERNAL, "not built yet");
}
