/* simtrace.c: the signals CSV of a pack simulation. */
#include "rig/offline/simtrace.h"

void simtrace_header(FILE *out, const struct pack *p)
{
    unsigned s = pack_series(p), n = s * pack_parallel(p);
    fputs("t_s,pack_v,pack_i_a", out);
    for (unsigned g = 0; g < s; g++)
        fprintf(out, ",g%u_v", g);
    for (unsigned g = 0; g < s; g++)
        fprintf(out, ",g%u_sense_v", g);
    for (unsigned c = 0; c < n; c++)
        fprintf(out, ",c%u_soc", c);
    for (unsigned c = 0; c < n; c++)
        fprintf(out, ",c%u_temp_c", c);
    for (unsigned k = 0; k < pack_ntc_count(p); k++)
        fprintf(out, ",ntc%u_c,ntc%u_adc", k, k);
    fputc('\n', out);
}

void simtrace_row(FILE *out, const struct pack *p)
{
    unsigned s = pack_series(p), n = s * pack_parallel(p);
    fprintf(out, "%.3f,%.4f,%.4f", pack_time_s(p), pack_terminal_v(p), pack_current_a(p));
    for (unsigned g = 0; g < s; g++)
        fprintf(out, ",%.4f", pack_group_v(p, g));
    for (unsigned g = 0; g < s; g++)
        fprintf(out, ",%.4f", pack_sense_voltage(p, g));
    for (unsigned c = 0; c < n; c++)
        fprintf(out, ",%.5f", pack_cell_soc(p, c));
    for (unsigned c = 0; c < n; c++)
        fprintf(out, ",%.3f", pack_cell_temp_c(p, c));
    for (unsigned k = 0; k < pack_ntc_count(p); k++) {
        struct ntc_reading r;
        pack_ntc_read(p, k, &r);
        fprintf(out, ",%.2f,%u", r.temp_c, (unsigned)r.adc);
    }
    fputc('\n', out);
}
