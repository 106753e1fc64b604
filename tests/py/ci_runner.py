#!/usr/bin/env python3
"""Run referee's CI templates the way their runners would, on this machine.

  ci_runner.py github ACTION.yml --input path=bag [--input ...] --report OUT.json
  ci_runner.py gitlab TEMPLATE.yml --job .referee --var REFEREE_PATH=bag --report OUT.json

github: every step of the composite action in order, with the variables a
GitHub runner sets (GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
GITHUB_PATH, GITHUB_ACTION_PATH, RUNNER_TEMP, CI: taken from this process's
environment), `${{ inputs.* }}`, `${{ github.action_path }}`,
`${{ steps.*.outputs.* }}` and `if: always()/success()/failure()` evaluated;
`run:` steps run as `bash --noprofile --norc -eo pipefail`; `uses:` steps
are recorded with their resolved `with:` (not run: they are GitHub's).  An
expression it does not know is an error, so an untested construct cannot
slip into action.yml.

gitlab: the job's before_script and script lines in one bash, stopping at the
first failing line, with its variables (expanded as GitLab does) over
CI_PROJECT_DIR and friends from the environment; artifacts' paths resolved.

The exit status is the job's: 0 success, 1 failed.  OUT.json records each
step's outcome and exit code."""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def github(action_path, inputs, report):
    action = yaml.safe_load(open(action_path))
    ws = os.environ["GITHUB_WORKSPACE"]
    defaults = {k: str(v.get("default", "")) for k, v in action.get("inputs", {}).items()}
    for k, v in action.get("inputs", {}).items():
        if v.get("required") and k not in inputs:
            raise SystemExit("input '%s' is required" % k)
    unknown = set(inputs) - set(defaults)
    if unknown:
        raise SystemExit("unknown inputs: %s" % ", ".join(sorted(unknown)))
    vals = dict(defaults, **inputs)
    outputs, results, failed = {}, [], False
    extra_path = []

    def expr(e):
        m = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", e)
        if m:
            return vals[m.group(1)]
        if e == "github.action_path":
            return os.path.dirname(os.path.abspath(action_path))
        if e == "runner.temp":
            return os.environ["RUNNER_TEMP"]
        m = re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", e)
        if m:
            return outputs.get(m.group(1), {}).get(m.group(2), "")
        raise SystemExit("ci_runner: unsupported expression '${{ %s }}'" % e)

    def sub(s):
        return EXPR.sub(lambda m: expr(m.group(1)), str(s))

    for i, step in enumerate(action["runs"]["steps"]):
        cond = step.get("if", "success()").strip()
        cond = EXPR.sub(lambda m: m.group(1), cond)
        if cond not in ("always()", "success()", "failure()"):
            raise SystemExit("ci_runner: unsupported if: %s" % cond)
        run_it = cond == "always()" or (cond == "success()") != failed
        name = step.get("name", "step %d" % i)
        if not run_it:
            results.append({"name": name, "outcome": "skipped"})
            continue
        if "uses" in step:
            results.append({"name": name, "outcome": "success", "uses": step["uses"],
                            "with": {k: sub(v) for k, v in step.get("with", {}).items()}})
            continue
        if step.get("shell") != "bash":
            raise SystemExit("ci_runner: step '%s' must say shell: bash" % name)
        env = dict(os.environ)
        env.update({k: sub(v) for k, v in step.get("env", {}).items()})
        fd, out_file = tempfile.mkstemp(dir=os.environ["RUNNER_TEMP"])
        os.close(fd)
        env["GITHUB_OUTPUT"] = out_file
        env["GITHUB_ACTION_PATH"] = os.path.dirname(os.path.abspath(action_path))
        env["PATH"] = ":".join(extra_path + [env["PATH"]])
        script = sub(step["run"])
        with tempfile.NamedTemporaryFile("w", suffix=".sh", dir=os.environ["RUNNER_TEMP"],
                                         delete=False) as f:
            f.write(script + "\n")
        rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", f.name],
                             cwd=ws, env=env)
        outs = {}
        for line in open(out_file):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                outs[k] = v
        if "id" in step:
            outputs[step["id"]] = outs
        gp = os.environ.get("GITHUB_PATH")
        if gp and os.path.exists(gp):
            extra_path = [l.strip() for l in open(gp) if l.strip()][::-1]
        results.append({"name": name, "outcome": "success" if rc == 0 else "failure",
                        "rc": rc, "outputs": outs})
        if rc:
            failed = True
    action_outputs = {k: sub(v["value"]) for k, v in action.get("outputs", {}).items()}
    json.dump({"steps": results, "outputs": action_outputs, "failed": failed},
              open(report, "w"), indent=2)
    return 1 if failed else 0


def gitlab(template, job, overrides, report):
    doc = yaml.safe_load(open(template))
    spec = doc[job]
    env = dict(os.environ)
    for k, v in dict(spec.get("variables", {}), **overrides).items():
        # GitLab expands $VAR and ${VAR} in variable values
        env[k] = os.path.expandvars(str(v))
        os.environ[k] = env[k]
    lines = list(spec.get("before_script", [])) + list(spec.get("script", []))
    # one shell for the job, as the runner does: exports carry over, and the
    # first failing line ends the job
    rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                          "\n".join(lines)], cwd=env["CI_PROJECT_DIR"], env=env)
    results, failed = [{"lines": len(lines), "rc": rc}], rc != 0
    arts = spec.get("artifacts", {})
    paths = [os.path.join(env["CI_PROJECT_DIR"], os.path.expandvars(p))
             for p in arts.get("paths", [])]
    junit = [os.path.join(env["CI_PROJECT_DIR"], os.path.expandvars(p))
             for p in [arts.get("reports", {}).get("junit", "")] if p]
    json.dump({"lines": results, "failed": failed, "artifact_paths": paths,
               "junit": junit, "artifacts_when": arts.get("when", "on_success")},
              open(report, "w"), indent=2)
    return 1 if failed else 0


def main():
    kind, path = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    kv, report, job = {}, None, None
    while args:
        a = args.pop(0)
        if a in ("--input", "--var"):
            k, v = args.pop(0).split("=", 1)
            kv[k] = v
        elif a == "--report":
            report = args.pop(0)
        elif a == "--job":
            job = args.pop(0)
        else:
            raise SystemExit("ci_runner: unknown argument %s" % a)
    if kind == "github":
        return github(path, kv, report)
    return gitlab(path, job, kv, report)


if __name__ == "__main__":
    sys.exit(main())
