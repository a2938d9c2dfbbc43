#!/usr/bin/env bash
# remote_sshd.sh - the remote node role's sshd fragment is checked before it
# is written: its template task carries a `validate` command, and that
# command (sshd -t, run here) passes the fragment as the role renders it and
# refuses one sshd would not take, so a bad fragment never reaches a host's
# /etc/ssh/sshd_config.d.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
role=$top/nodes/remote/roles/node
work=$(mktemp -d /tmp/faasbench-sshd.XXXXXX)
trap 'rm -rf "$work"' EXIT

# sshd -t needs its privilege separation folder and a host key: made here
# when the machine has none (as after a boot, or without openssh's keys).
[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
extra=()
if ! ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1; then
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
  extra=(-h "$work/host_key")
fi

/usr/bin/python3 - "$role" "$work" "${extra[@]}" <<'PY'
import os, shlex, subprocess, sys
import jinja2, yaml

role, work, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
fails = []
tasks = yaml.safe_load(open(os.path.join(role, "tasks", "main.yml")))
frag = [t for t in tasks
        if isinstance(t.get("ansible.builtin.template"), dict)
        and t["ansible.builtin.template"].get("dest") == "/etc/ssh/sshd_config.d/faasbench.conf"]
if len(frag) != 1:
    sys.exit("FAIL: %d template tasks write the sshd fragment, want 1" % len(frag))
task = frag[0]["ansible.builtin.template"]
validate = task.get("validate")
if not validate or "%s" not in validate:
    sys.exit("FAIL: the sshd fragment is written without a validate command: %r" % task)

env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(role, "templates")),
                         keep_trailing_newline=True)
env.filters["bool"] = lambda v: v in (True, "true", "yes", "1", 1)
text = env.get_template(task["src"]).render(
    ansible_managed="Ansible managed", faasbench_node_user="faas",
    faasbench_bin="/usr/local/lib/faasbench/bin", faasbench_limited=True,
    faasbench_cgroup="/faasbench/node")

def check(body, name):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(body)
    argv = shlex.split(validate.replace("%s", path)) + extra
    return subprocess.run(argv, capture_output=True, text=True)

good = check(text, "good.conf")
if good.returncode != 0:
    fails.append("the role's own fragment is refused: %s" % good.stderr.strip())
# One sshd refuses: an option it does not know, and a value it does not take.
for name, body in (("unknown.conf", text + "    NoSuchOption yes\n"),
                   ("value.conf", text.replace("PermitTTY yes", "PermitTTY maybe"))):
    if body == text:
        fails.append("%s: the fragment changed, the test did not" % name)
    elif check(body, name).returncode == 0:
        fails.append("a fragment sshd refuses passes validate (%s)" % name)
if fails:
    print("\n".join("FAIL: " + f for f in fails))
    sys.exit(1)
print("remote_sshd: ok")
PY
