/* cpu.c: the registry of CPU backends (cpu.h), in the order --firmware-cpu lists them. */
#include <string.h>

#include "mcu_internal.h"

const struct fw_cpu_backend *const fw_cpu_backends[] = {&fw_cpu_unicorn, &fw_cpu_interp, NULL};

const struct fw_cpu_backend *fw_cpu_find(const char *name)
{
    if (!name || !*name)
        name = MCU_DEFAULT_CPU;
    for (unsigned i = 0; fw_cpu_backends[i]; i++)
        if (strcmp(fw_cpu_backends[i]->name, name) == 0)
            return fw_cpu_backends[i];
    return NULL;
}

const char *mcu_cpu_backend_name(unsigned i)
{
    for (unsigned k = 0; fw_cpu_backends[k]; k++)
        if (k == i)
            return fw_cpu_backends[k]->name;
    return NULL;
}
