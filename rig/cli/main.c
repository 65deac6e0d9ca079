/* main.c: the bmsrig executable; everything lives in the rig library behind cli_main. */
#include "rig/cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
