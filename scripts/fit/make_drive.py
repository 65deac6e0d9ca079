#!/usr/bin/env python3
# make_drive.py: writes the load profiles in fixtures/drive/ (plain Python 3). Run by hand:
#     python3 scripts/fit/make_drive.py DATA_DIR OUT_DIR
import csv, math, sys

DATA, OUT = sys.argv[1], sys.argv[2]

# ---- synthetic urban M365 ride ----------------------------------------------------------------
DT = 0.5
rows = []
t = 0.0
def emit(i):
    global t
    rows.append((t, i)); t += DT
for k in range(12):
    for _ in range(int((10 + 5 * (k % 4)) / DT)):          # stop at a light
        emit(0.1)
    for n in range(int(5 / DT)):                             # pull away: 17 A, ramp to cruise
        tt = n * DT
        emit(17.0 if tt < 3.0 else 17.0 + (7.0 - 17.0) * (tt - 3.0) / 2.0)
    cruise = 40 + 20 * ((3 * k) % 5)
    base = 12.0 if k == 5 else 7.0                           # block 5 climbs a hill
    for n in range(int(cruise / DT)):
        tt = n * DT
        emit(base + 1.0 * math.sin(2 * math.pi * tt / 11.0) + 0.5 * math.sin(2 * math.pi * tt / 3.7))
    for n in range(int(5 / DT)):                             # brake: regen pulse
        emit(-3.0 if n * DT < 3.0 else -1.0)
for _ in range(int(10 / DT)):
    emit(0.1)
with open(f"{OUT}/m365_urban_synthetic.csv", "w") as f:
    f.write("# m365_urban_synthetic.csv: synthetic urban ride for an M365 (36 V 10S3P), pack current, + = discharge.\n")
    f.write("# Formula (scripts/fit/make_drive.py, 0.5 s rows), 12 blocks k = 0..11, each: stop 10+5*(k mod 4) s at 0.1 A idle [I];\n")
    f.write("# pull-away 3 s at 17 A then a 2 s ramp to cruise; cruise 40+20*((3k) mod 5) s at B + sin(2 pi t/11) + 0.5 sin(2 pi t/3.7) A\n")
    f.write("# with B = 7 A (B = 12 A in block 5, a hill); braking 3 s at -3 A then 2 s at -1 A (regen); 10 s idle at the end.\n")
    f.write("# Figures [I]: ~7 A cruise and 17 A peaks per the issue brief; not a recorded ride.\n")
    f.write("t_s,current_a\n")
    for tt, i in rows:
        f.write(f"{tt:.1f},{i:.3f}\n")

# ---- About:Energy NMC111 drive cycle, scaled per Ah to a 10S3P pack ----------------------------------
SRC_AH, PACK_AH = 13.10, 7.8     # source: measured C/20 capacity 13.10 Ah (discharge file)
with open(f"{DATA}/aboutenergy_nmc111_pouch_drivecycle_25C.csv") as f:
    lines = [l for l in f if not l.startswith('#')]
src = list(csv.DictReader(lines))
with open(f"{OUT}/aboutenergy_nmc_drivecycle_10s3p.csv", "w") as f:
    f.write("# aboutenergy_nmc_drivecycle_10s3p.csv: measured drive-cycle current of a 12.5 Ah NMC111/graphite pouch cell at 25 C,\n")
    f.write("# scaled per Ah to a 7.8 Ah 10S3P pack (x 7.8/13.10, the cell's measured C/20 capacity) and sign-flipped to + = discharge; 1 s rows, 8393 s.\n")
    f.write("# source: github.com/About-Energy-OpenSource/About-Energy-BPX-Parameterisation @8efd45a7495a NMC/data/validation/NMC_25degC_DriveCycle.csv\n")
    f.write("# licence CC BY-SA 4.0 (attribution: About:Energy Limited; share-alike applies to this derived file)\n")
    f.write("t_s,current_a\n")
    for r in src:
        f.write(f"{float(r['time_s']):.0f},{-float(r['current_A']) * PACK_AH / SRC_AH:.5f}\n")
print(len(rows), "synthetic rows;", len(src), "drive-cycle rows")
