/* pack_internal.h: the state of struct pack, shared by sim/pack.c (configuration, read-outs,
 * faults) and sim/pack_step.c (the step's numerics). Private to sim/pack*.c. */
#ifndef BMSRIG_SIM_PACK_INTERNAL_H
#define BMSRIG_SIM_PACK_INTERNAL_H

#include <stdbool.h>

#include "sim/pack.h"

/* Each parallel row (the S slots of one k) is padded to a multiple of this many slots [D], so
 * that every loop of the step runs whole vectors: AVX2 vectors of 4 doubles and at most one
 * 2-wide SSE2 vector per row, never a scalar tail (10s3p rows were 2.5 AVX2 vectors with a
 * scalar epilogue). 2 rather than 4: 10s3p's rows need no padding (4 would run 12 slots for 10,
 * measured slower: 26F 10s3p 5.73 against 5.50 ns, best of 4, docs/model.md section 8). A
 * padding slot is inert: all its coefficients are zero, so it carries no current, and no
 * read-out, sum or fault reads it. PACK_MAX_SERIES is a multiple of it, so the padded pack still
 * fits PACK_MAX_CELLS slots. */
#define PACK_ROW_SLOTS 2
_Static_assert(PACK_MAX_SERIES % PACK_ROW_SLOTS == 0, "a padded row must fit PACK_MAX_SERIES");

#define N PACK_MAX_CELLS
#define ALIGN __attribute__((aligned(64)))

struct pack {
    struct pack_config cfg;
    unsigned s, pp, n;           /* series groups, cells per group, cells */
    unsigned row;                /* slots per parallel row: s padded to PACK_ROW_SLOTS */
    unsigned nslot;              /* row * pp: the slots the step's loops run over */
    double t_s;
    double ambient_c;
    double i_act;                /* pack current that flowed in the last step */
    bool string_open;
    bool dirty;                  /* a fault or input changed: refresh before the next step */
    bool has_ct;                 /* the set has a charge-transfer term: linearise it per step */
    double coeff_dt;             /* the dt the coefficients were computed for */
    double since_refresh_s;
    double charge_out_c;

    /* cell state, by slot (see slot_at) */
    double ocv[N] ALIGN;                     /* OCV at soc on the refresh's linear segment */
    double soc[N] ALIGN, v1[N] ALIGN, v2[N] ALIGN, temp[N] ALIGN, icell[N] ALIGN;
    double heat_acc[N] ALIGN, eout_acc[N] ALIGN;
    /* step coefficients */
    double ocv0[N] ALIGN, slope[N] ALIGN, socref[N] ALIGN, r0[N] ALIGN, r1[N] ALIGN, r2[N] ALIGN;
    double a1[N] ALIGN, b1[N] ALIGN, a2[N] ALIGN, b2[N] ALIGN, t1[N] ALIGN, t2[N] ALIGN;
    double k1[N] ALIGN, k2[N] ALIGN;         /* R (dt - t): the current's part of the RC integral */
    double r0dt[N] ALIGN, hslope[N] ALIGN;   /* R0 dt; half the OCV slope */
    double c1h[N] ALIGN, c2h[N] ALIGN;       /* C/2 for the capacitor energy */
    double g[N] ALIGN;                       /* 1/Z, 0 for an open cell */
    double ctk[N] ALIGN, cti[N] ALIGN;       /* charge transfer: K and 1/(2 I0) (0: none) */
    double ctkc[N] ALIGN, ctq[N] ALIGN;      /* K / (2 I0) and g K / (2 I0) */
    /* the step's linear model of the cell (= g, 0, 0 without a charge-transfer term) */
    double gs[N] ALIGN;                      /* 1 / (Z + rct) */
    double eoff[N] ALIGN, rct[N] ALIGN;      /* eta(i) ~ eoff + rct i over the step */
    double dsoc[N] ALIGN;                    /* dt / (3600 Q) */
    double leakg[N] ALIGN;                   /* self-discharge + internal short conductance */
    double effc;                             /* coulombic efficiency when charging */
    double cinv;                             /* 1 / heat capacity (0 when isothermal) */
    double hdt;                              /* dt * h / C (0 when isothermal) */
    /* per-step scratch */
    double e[N] ALIGN, vc[N] ALIGN;          /* source E of the coming step; group voltage */
    bool e_valid;                            /* e is E for the state and coefficients now */
    double ct_x[N] ALIGN, ct_root[N] ALIGN, ct_ipred[N] ALIGN;   /* the tangent's scratch */
    double ct_s[N] ALIGN, ct_k[N] ALIGN;
    /* cell health (indexed by slot) */
    double capf[N], rf[N], short_ohm[N];
    bool open[N];

    /* groups */
    double vg[PACK_MAX_SERIES];              /* common terminal voltage of the group's cells */
    double vg_now[PACK_MAX_SERIES];          /* read-out after a fault between steps: */
    bool vg_now_valid;                       /*   used by pack_group_v until the next step */
    double inv_sumg[PACK_MAX_SERIES];        /* 1 / sum of g (0: the group is open) */
    double inv_sumgs[PACK_MAX_SERIES];       /* 1 / sum of gs, this step */
    double sense_v[PACK_MAX_SERIES];         /* what the BMS front end reads per group, a
                                              * cache: recomputed for all groups at the first
                                              * read after a step or a sense fault */
    bool sense_stale;
    double drain_g[PACK_MAX_SERIES];         /* bleed + sense leak + moisture conductance */
    bool bleed[PACK_MAX_SERIES];
    double sense_leak_ohm[PACK_MAX_SERIES];
    double moisture_ohm[PACK_MAX_SERIES];
    bool tap_open[PACK_MAX_SERIES + 1];

    enum ntc_fault ntc_fault[PACK_MAX_NTC];
    double ntc_value[PACK_MAX_NTC];
};

/* Tells the compiler that a slot count (a padded row, or rows of them) is a whole number of
 * PACK_ROW_SLOTS, so that the vectorised loops over it need no scalar tail. */
static inline void assume_whole_vectors(unsigned nslots)
{
    if (nslots % PACK_ROW_SLOTS != 0)
        __builtin_unreachable();
}

/* The slot of cell k of group g (row k, column g). */
static inline unsigned slot_at(const struct pack *p, unsigned k, unsigned g)
{
    return k * p->row + g;
}

static inline unsigned slot_of(const struct pack *p, unsigned cell)
{
    return slot_at(p, cell % p->pp, cell / p->pp);
}

/* Recomputes every coefficient for a step of dt (sim/pack_step.c). */
void pack_refresh(struct pack *p, double dt);

#endif
