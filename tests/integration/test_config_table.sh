#!/usr/bin/env bash
# Every entry of the config table (as `newsflow run --help` prints it) is reachable by its flag,
# its environment variable and the config file, with precedence flag > env > file > default;
# out-of-range values are refused with a message naming the setting; check-config redacts secrets.
set -euo pipefail
: "${NF_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${NF_BIN_DIR:=$NF_SOURCE_DIR/build}"
/usr/bin/python3 - "$NF_BIN_DIR/newsflow" <<'PY'
import os, re, subprocess, sys, tempfile
nf = sys.argv[1]
help_text = subprocess.run([nf, "run", "--help"], capture_output=True, text=True, check=True).stdout
rows = re.findall(r"^  --([a-z-]+)\s+(NEWSFLOW_[A-Z_]+)\s+default (\S*?)(?:, range \[(-?\d+), (-?\d+)\])?$",
                  help_text, re.M)
assert len(rows) >= 18, "config table not found in --help (%d rows)" % len(rows)
base_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}

def check_config(args=(), env=None):
    e = dict(base_env, **(env or {}))
    return subprocess.run([nf, "check-config", *args], capture_output=True, text=True, env=e)

def value_of(out, name):
    m = re.search(r"^%s = (.*)$" % re.escape(name), out, re.M)
    return m.group(1) if m else None

tested = 0
for flag, env, default, lo, hi in rows:
    name = flag.replace("-", "_")
    if name == "config":
        continue
    if lo:
        mid = (int(lo) + int(hi)) // 2  # mid-range: the two backoff bounds stay ordered
        vals = [str(mid - 2), str(mid - 1), str(mid)]
    elif default in ("true", "false"):
        vals = ["true", "false", "true"]
    elif name == "log_level":
        vals = ["debug", "warn", "error"]
    elif name == "http_bind":
        vals = ["127.0.0.1", "10.0.0.1", "192.168.1.1"]
    else:
        vals = ["flag-value", "env-value", "file-value"]
    flag_v, env_v, file_v = vals
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("%s = %s\n" % (name, file_v))
    out = check_config(["--config", f.name]).stdout
    assert value_of(out, name) == file_v, (name, "file", out)
    out = check_config(["--config", f.name], {env: env_v}).stdout
    assert value_of(out, name) == env_v, (name, "env over file")
    out = check_config(["--config", f.name, "--%s=%s" % (flag, flag_v)], {env: env_v}).stdout
    assert value_of(out, name) == flag_v, (name, "flag over env")
    out = check_config().stdout
    shown = value_of(out, name)
    if name != "pg_url":
        # --help prints an empty default as "(none)"
        assert shown == ("" if default == "(none)" else default), (name, "default", shown, default)
    if lo:
        r = check_config(["--" + flag, str(int(hi) + 1)])
        assert r.returncode != 0 and name in r.stderr, (name, "out of range accepted", r.stderr)
        r = check_config([], {env: "not-a-number"})
        assert r.returncode != 0 and env in r.stderr, (name, "garbage accepted", r.stderr)
    os.unlink(f.name)
    tested += 1

# Secrets: never printed by check-config.
r = check_config(["--pg-url", "postgresql://app:hunter2@db/news", "--kafka", "sasl.password=hunter3"],
                 {"NEWSFLOW_KAFKA_SSL_KEY_PASSWORD": "hunter4"})
assert r.returncode == 0
for secret in ("hunter2", "hunter3", "hunter4"):
    assert secret not in r.stdout + r.stderr, secret
assert "kafka.sasl.password = ***" in r.stdout
assert "kafka.ssl.key.password = ***" in r.stdout
r = check_config(["--bogus"])
assert r.returncode == 2 and "unknown option" in r.stderr
print("PASS: %d settings reachable by flag, env and file with the right precedence" % tested)
PY
