#!/usr/bin/env python3
"""jenkins_dry_run.py: runs docs/ci/jenkins/Jenkinsfile's steps as Jenkins would, without
Jenkins. It reads the declarative pipeline's stages in order (a matrix stage once per value of
its axis), and per stage, in a workspace of its own (as on another agent): `unstash` copies a
stash in, `sh` runs the step with sh -e (steps of the Build stage, which need a compiler and
root, are listed and not run: the caller provides the 'bmsrig' stash), `stash` keeps the files
its includes pattern matches, `junit` and `archiveArtifacts` must match files the steps made.
Prints one line per step; exits 1 on the first step that fails or names nothing.

usage: jenkins_dry_run.py JENKINSFILE ROOT BMSRIG_STASH_DIR
  ROOT              a scratch folder (workspaces and stashes go there)
  BMSRIG_STASH_DIR  what the Build stage's `stash name: 'bmsrig'` would hold (stage/...)
"""
import glob
import os
import re
import shutil
import subprocess
import sys

jenkinsfile, root, bmsrig_stash = sys.argv[1:4]
text = open(jenkinsfile).read()

STEP = re.compile(r"""\b(sh|stash|unstash|junit|archiveArtifacts)\b\s*"""
                  r"""(?:'([^']*)'|"([^"]*)"|(name:(?:\$\{\w+\}|[^}\n])*)|artifacts:\s*'([^']*)')""")
STAGE = re.compile(r"""stage\('([^']+)'\)""")


def stage_blocks(src):
    """(name, body) for every innermost stage, in file order; a body holds its steps."""
    out = []
    for m in STAGE.finditer(src):
        i = src.index("{", m.end())
        depth, j = 0, i
        while True:
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            if depth == 0:
                break
            j += 1
        body = src[i:j + 1]
        if not STAGE.search(body):
            out.append((m.group(1), body, m.start()))
    return out


def matrix_values(src, pos):
    """The axis of the matrix enclosing pos, if any: (name, [values])."""
    head = src[:pos]
    k = head.rfind("matrix {")
    if k < 0 or head.count("{", k) - head.count("}", k) <= 0:
        return None, [None]
    m = re.search(r"axis \{ name '(\w+)'; values ([^}]*)\}", src[k:pos])
    return m.group(1), re.findall(r"'([^']*)'", m.group(2))


def expand(s, env):
    return re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), s)


def files_matching(ws, pattern):
    found = set()
    for p in pattern.split(","):
        for f in glob.glob(os.path.join(ws, p.strip()), recursive=True):
            if os.path.isfile(f):
                found.add(os.path.relpath(f, ws))
    return sorted(found)


stashes = {"bmsrig": (bmsrig_stash, files_matching(bmsrig_stash, "stage/**"))}
failed = False
for name, body, pos in stage_blocks(text):
    axis, values = matrix_values(text, pos)
    for v in values:
        env = {axis: v} if axis else {}
        label = name + (" [%s=%s]" % (axis, v) if axis else "")
        ws = os.path.join(root, "ws", re.sub(r"\W+", "_", label))
        os.makedirs(ws, exist_ok=True)
        for m in STEP.finditer(body):
            kind = m.group(1)
            arg = expand(m.group(2) or m.group(3) or m.group(4) or m.group(5), env)
            if kind == "sh":
                if name == "Build":
                    print("not run (needs the build host): %s: sh %s" % (label, arg))
                    continue
                rc = subprocess.call(["sh", "-e", "-c", arg], cwd=ws)
                print("%s: %s: sh %s" % ("ok" if rc == 0 else "FAILED (exit %d)" % rc, label, arg))
                failed |= rc != 0
            elif kind == "unstash":
                if arg not in stashes:
                    print("FAILED: %s: unstash '%s': no stage stashed it before" % (label, arg))
                    failed = True
                    continue
                src, files = stashes[arg]
                for f in files:
                    os.makedirs(os.path.dirname(os.path.join(ws, f)) or ws, exist_ok=True)
                    shutil.copy2(os.path.join(src, f), os.path.join(ws, f))
                print("ok: %s: unstash %s (%d files)" % (label, arg, len(files)))
            elif kind == "stash":
                sname = expand(re.search(r"""name: ['"]([^'"]+)['"]""", arg).group(1), env)
                inc = expand(re.search(r"""includes: ['"]([^'"]+)['"]""", arg).group(1), env)
                if name == "Build":
                    continue   # the caller's bmsrig stash stands for it
                files = files_matching(ws, inc)
                stashes[sname] = (ws, files)
                ok = bool(files)
                print("%s: %s: stash %s (%s: %d files)" % ("ok" if ok else "FAILED", label, sname,
                                                           inc, len(files)))
                failed |= not ok
            else:   # junit, archiveArtifacts: what they name must exist
                pat = arg
                files = files_matching(ws, pat)
                ok = bool(files)
                print("%s: %s: %s %s (%d files)" % ("ok" if ok else "FAILED", label, kind, pat,
                                                    len(files)))
                failed |= not ok
sys.exit(1 if failed else 0)
